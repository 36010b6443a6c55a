namespace Kernel.Platform;

// The host build's RandomSource: a fixed byte pattern (the kernel's is seeded from the TSC).
internal static unsafe class RandomSource
{
    public static void Fill(byte* buffer, int count)
    {
        for (int i = 0; i < count; i++) buffer[i] = (byte)(i * 37 + 11);
    }
}
