namespace Kernel.Memory
{
    /// <summary>What backs a memory area, and so who owns its physical pages.</summary>
    internal enum MemoryAreaKind : byte
    {
        /// <summary>mmap(MAP_ANONYMOUS): zero-filled on first touch; the area owns its pages.</summary>
        Anonymous,
        /// <summary>The app's image (its PT_LOAD segments): loaded with the kernel, identity-mapped, never freed.</summary>
        Image,
        /// <summary>The main thread's stack: anonymous, and grows down on faults just below it (like Linux).</summary>
        Stack,
        /// <summary>The brk heap: anonymous, grown and shrunk by brk.</summary>
        Heap,
    }

    /// <summary>One contiguous, page-aligned range of the app's address space with one protection.</summary>
    internal struct MemoryArea
    {
        public const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;

        public ulong Start, End;
        public int Protection;
        public MemoryAreaKind Kind;

        public bool OwnsPages => Kind != MemoryAreaKind.Image;
        public bool Allows(bool write, bool execute) =>
            Protection != 0 && (!write || (Protection & ProtWrite) != 0) && (!execute || (Protection & ProtExec) != 0);
    }
}
