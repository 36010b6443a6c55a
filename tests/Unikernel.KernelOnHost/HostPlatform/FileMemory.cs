using System.Runtime.InteropServices;

namespace Kernel.Platform;

// The host build's FileMemory (the kernel's gives out kernel heap blocks): zeroed native memory, with a
// count of live blocks so tests can check that the VFS frees what it allocates. Objects are left to the
// host GC; Release only counts.
internal static unsafe class FileMemory
{
    public static long LiveBlocks;
    public static long ReleasedObjects;
    public static ulong FailAfterBytes = ulong.MaxValue;   // simulated heap exhaustion for tests
    private static ulong s_allocatedBytes;

    public static byte* Allocate(ulong size)
    {
        if (s_allocatedBytes + size > FailAfterBytes) return null;
        s_allocatedBytes += size;
        LiveBlocks++;
        return (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(size, 1));
    }

    public static void Free(byte* block)
    {
        if (block == null) return;
        LiveBlocks--;
        NativeMemory.Free(block);
    }

    public static void Release(object obj) => ReleasedObjects++;

    public static void ResetLimits()
    {
        FailAfterBytes = ulong.MaxValue;
        s_allocatedBytes = 0;
    }
}
