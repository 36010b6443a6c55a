namespace Kernel.Memory
{
    // The one address space, split so that nothing of the kernel lies where the app can reach
    // (docs/architecture.md, "The address space"):
    //
    //   0                    page 0 and the rest of the first MiB: never mapped
    //   1 MiB .. 4 MiB       the kernel image (boot stub + kernel), supervisor-only, text RX, the rest RW+NX
    //   4 MiB .. 128 TiB     the user window: the app's image at its link address, brk, mmap, stacks
    //   128 TiB .. 2^64-2^47 non-canonical: no address there can be used at all
    //   0xFFFF_8000_0000_0000  the direct map: all physical memory below 4 GiB (RAM the page allocator hands
    //                        out, page tables, device registers, uk_ksyms), supervisor-only, NX
    //   0xFFFF_C000_0000_0000  kernel thread stacks, each with an unmapped guard page below it
    //
    // Every check on memory the app names (mmap, munmap, mprotect, madvise, mremap, brk, and every pointer a
    // system call takes) starts from IsUserRange: the window is one range, so there is one test to get right.
    // The kernel image stays at its link address below the window because ILC's small code model needs it
    // below 2 GiB (R_X86_64_32); the app's image needs the same, so the window starts right above the kernel.
    internal static class MemoryLayout
    {
        /// <summary>The first address of the user window; the kernel image must end at or below it (uk-ld checks).</summary>
        public const ulong UserBase = 0x0000_0000_0040_0000;
        /// <summary>The end of the lower canonical half, where the user window ends.</summary>
        public const ulong UserLimit = 0x0000_8000_0000_0000;

        /// <summary>Where physical address 0 appears in the kernel's view (PML4 slot 256).</summary>
        public const ulong DirectMapBase = 0xFFFF_8000_0000_0000;
        /// <summary>How much physical memory the boot stub maps there (the page allocator uses RAM below it).</summary>
        public const ulong DirectMapSize = 4UL << 30;

        /// <summary>Kernel thread stacks (PML4 slot 384), away from the direct map so that each can have a guard page.</summary>
        public const ulong KernelStacksBase = 0xFFFF_C000_0000_0000;

        /// <summary>[start, start + length) lies inside the user window (length 0: start alone is checked).</summary>
        public static bool IsUserRange(ulong start, ulong length)
            => start >= UserBase && start < UserLimit && length <= UserLimit - start;

        /// <summary>The kernel's pointer to physical memory at <paramref name="physical"/>.</summary>
        public static ulong ToDirectMap(ulong physical) => physical + DirectMapBase;

        /// <summary>The physical address of a direct-map pointer (page tables and devices need physical addresses).</summary>
        public static ulong ToPhysical(ulong directMapAddress) => directMapAddress - DirectMapBase;

        public static bool IsInDirectMap(ulong address) => address >= DirectMapBase && address - DirectMapBase < DirectMapSize;
    }
}
