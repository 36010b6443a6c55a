using Kernel.Console;

namespace Kernel.Memory
{
    // One line at the app's exit saying where the machine's RAM went, so that the smallest RAM an app runs in can be
    // read off one run instead of found by bisection (docs/memory.md): the RAM the memory map gave, the kernel's own
    // image and the app's image (both loaded by the VMM before the kernel ran), the most pages the page allocator ever
    // had handed out (page tables, the kernel's heap and stacks, the app's committed pages: everything after boot), and
    // of those the app's own peak (its heap, stacks and other anonymous memory).
    internal static unsafe class MemoryReport
    {
        public static void WriteAtExit()
        {
            PageAllocator* pages = KernelMemory.Pages;
            ulong managed = (pages->TotalPages - pages->ReservedForBookkeepingPages) * PageAllocator.PageSize;
            ulong peakUsed = managed - pages->LowestFreePageCount * PageAllocator.PageSize;
            ProcessMemoryFigures app = ProcessMemoryFigures.Now();
            KernelConsole.Prefix();
            KernelConsole.Write("memory at exit: RAM ");
            KernelConsole.WriteDecimal(KernelMemory.RamBytes >> 10);
            KernelConsole.Write(" KiB; loaded: kernel ");
            KernelConsole.WriteDecimal(KernelMemory.KernelImageBytes >> 10);
            KernelConsole.Write(" KiB, app image and files ");
            KernelConsole.WriteDecimal(KernelMemory.LoadedAppBytes >> 10);
            KernelConsole.Write(" KiB; page allocator peak ");
            KernelConsole.WriteDecimal(peakUsed >> 10);
            KernelConsole.Write(" of ");
            KernelConsole.WriteDecimal(managed >> 10);
            KernelConsole.Write(" KiB, of it the app's peak ");
            KernelConsole.WriteDecimal(app.PeakAnonymousResidentBytes >> 10);
            KernelConsole.WriteLine(" KiB committed");
        }
    }
}
