using Kernel.Memory;

namespace Kernel.Platform
{
    // The file system's one seam to the kernel heap: raw blocks for file contents, pipe buffers and
    // generated text (sizes the app chooses, so exhaustion must come back as ENOMEM/ENOSPC instead of the
    // panic `new` gives), and the explicit release of the VFS's objects. The host tests compile the VFS
    // with their own version of this file.
    internal static unsafe class FileMemory
    {
        /// <summary>Zeroed memory, or null when the heap is exhausted.</summary>
        public static byte* Allocate(ulong size) => (byte*)KernelMemory.AllocateZeroed((nuint)size);

        public static void Free(byte* block)
        {
            if (block != null) KernelMemory.Heap->Free(block);
        }

        /// <summary>Gives back an object the VFS owns (a node, an open file, a name).</summary>
        public static void Release(object obj) => KernelMemory.Free(obj);
    }
}
