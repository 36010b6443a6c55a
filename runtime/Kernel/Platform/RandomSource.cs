namespace Kernel.Platform
{
    // /dev/urandom's bytes: the kernel's randomness (Entropy/). A separate name so the host tests of the
    // VFS can put a deterministic source in its place.
    internal static unsafe class RandomSource
    {
        public static void Fill(byte* buffer, int count) => Entropy.Random.Fill(buffer, count);
    }
}
