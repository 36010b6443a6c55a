namespace Kernel.Memory
{
    // Counters the kernel heap keeps for the boot log, leak checks and tests.
    internal struct HeapStatistics
    {
        // Usable bytes of the live blocks (their size class, or the usable part of a large block), which
        // is what they actually occupy, not what callers asked for.
        public ulong BytesInUse;
        public ulong LiveAllocations;
        // Pages taken from the page allocator for slabs, including the one empty slab a class may keep.
        public ulong SlabPages;
        public ulong LargePages;
        public ulong TotalAllocations;
        public ulong TotalFrees;
        // Allocations that returned null because the page allocator had nothing left (or the size was
        // absurd).
        public ulong FailedAllocations;
        // Free calls refused: double frees, pointers the heap never handed out, interior pointers.
        public ulong InvalidFrees;

        public ulong PagesHeld => SlabPages + LargePages;
    }
}
