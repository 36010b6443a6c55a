using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Threads
{
    // Threads' kernel stacks, each in its own slot of the upper half (MemoryLayout.KernelStacksBase): one
    // unmapped guard page, then the stack. A kernel stack overflow runs into the guard and double-faults
    // (StackGuard reports it) instead of silently overwriting whatever the direct map has below the stack.
    // The pages come from the page allocator and are mapped here with 4 KiB entries; the direct map's
    // 2 MiB pages could not leave a hole. Freed slots are reused, so the region grows only with the number
    // of threads alive at once.
    internal static unsafe class KernelStacks
    {
        private const ulong PageSize = PageAllocator.PageSize;
        private const ulong SlotSize = (Thread.KernelStackPages + 1) * PageSize;

        private static ulong[] s_freeSlots;
        private static int s_freeCount;
        private static ulong s_slotsUsed;

        /// <summary>The bottom of a new, zeroed stack of Thread.KernelStackPages pages, or 0 when memory ran out.</summary>
        public static ulong Allocate()
        {
            ulong pages = KernelMemory.Pages->AllocateZeroedPages(Thread.KernelStackPages);
            if (pages == 0) return 0;
            ulong slot = s_freeCount > 0 ? s_freeSlots[--s_freeCount] : s_slotsUsed++;
            ulong bottom = MemoryLayout.KernelStacksBase + slot * SlotSize + PageSize;
            ulong flags = PageTables.Present | PageTables.Writable | (PageTables.NoExecuteSupported ? PageTables.NoExecute : 0);
            ulong* root = PageTables.Table(Cpu.ReadCr3());
            for (ulong i = 0; i < Thread.KernelStackPages; i++)
            {
                ulong* entry = PageTables.EnsureLeaf(root, bottom + i * PageSize, PageTables.Present | PageTables.Writable);
                if (entry == null)
                {
                    Unmap(bottom, i);
                    KernelMemory.Pages->FreePages(pages, Thread.KernelStackPages);
                    Release(slot);
                    return 0;
                }
                *entry = MemoryLayout.ToPhysical(pages + i * PageSize) | flags;
            }
            return bottom;
        }

        /// <summary>Gives back a stack from Allocate (its thread has ended and nothing runs on it).</summary>
        public static void Free(ulong bottom)
        {
            ulong* entry = PageTables.FindSmallPageEntry(bottom);
            if (entry == null) Diagnostics.Panic.Fail("kernel stacks: freeing a stack that is not mapped");
            ulong pages = MemoryLayout.ToDirectMap(*entry & PageTables.AddressMask);
            Unmap(bottom, Thread.KernelStackPages);
            KernelMemory.Pages->FreePages(pages, Thread.KernelStackPages);
            Release((bottom - PageSize - MemoryLayout.KernelStacksBase) / SlotSize);
        }

        /// <summary>Whether <paramref name="address"/> is the guard page of a stack slot.</summary>
        public static bool IsGuardPage(ulong address)
            => address >= MemoryLayout.KernelStacksBase && address - MemoryLayout.KernelStacksBase < s_slotsUsed * SlotSize
               && (address - MemoryLayout.KernelStacksBase) % SlotSize < PageSize;

        private static void Unmap(ulong bottom, ulong pageCount)
        {
            for (ulong i = 0; i < pageCount; i++)
            {
                ulong* entry = PageTables.FindSmallPageEntry(bottom + i * PageSize);
                if (entry != null) *entry = 0;
            }
            // Every CPU the thread ran on may hold these translations, and the slot's next stack gets other pages.
            TlbShootdown.Flush(bottom, pageCount * PageSize);
        }

        private static void Release(ulong slot)
        {
            if (s_freeSlots == null || s_freeCount == s_freeSlots.Length)
            {
                var larger = new ulong[s_freeSlots == null ? 16 : s_freeSlots.Length * 2];
                for (int i = 0; i < s_freeCount; i++) larger[i] = s_freeSlots[i];
                if (s_freeSlots != null) KernelMemory.Free(s_freeSlots);
                s_freeSlots = larger;
            }
            s_freeSlots[s_freeCount++] = slot;
        }
    }
}
