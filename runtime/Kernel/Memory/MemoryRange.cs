namespace Kernel.Memory
{
    // A span of physical memory, in bytes. Ranges handed to the page allocator need not be page aligned:
    // it rounds them inward itself.
    internal struct MemoryRange
    {
        public ulong Start;
        public ulong Length;
    }
}
