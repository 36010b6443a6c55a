using Kernel.Memory;

namespace Kernel.Arch
{
    // The app's register state beyond what the interrupt entry saves (FXSAVE: x87 and SSE): with XSAVE
    // enabled for AVX (and more), the upper halves of the vector registers belong to whichever app
    // thread ran last. Kernel code never touches them (it is compiled for SSE only), so they only need
    // moving when the scheduler switches threads: XSAVE of the components beyond SSE into the outgoing
    // thread's area, XRSTOR from the incoming one's. A zeroed area restores the initial state.
    internal static unsafe class ExtendedState
    {
        private const ulong LegacyComponents = 3;   // x87 | SSE: in the interrupt frame already

        private static ulong s_components;
        private static ulong s_pages;

        public static bool Enabled => s_components != 0;

        public static void Initialize(ulong xcr0)
        {
            s_components = xcr0 & ~LegacyComponents;
            if (s_components == 0) return;
            uint* registers = stackalloc uint[4];
            Cpu.CpuId(0xD, 0, registers);
            ulong size = registers[1];       // ebx: the XSAVE area size for what XCR0 enables
            s_pages = (size + PageAllocator.PageSize - 1) / PageAllocator.PageSize;
        }

        /// <summary>A zeroed, page-aligned save area (initial state), or 0 when XSAVE is off or memory is out.</summary>
        public static ulong AllocateArea() => Enabled ? KernelMemory.Pages->AllocateZeroedPages(s_pages) : 0;

        public static void FreeArea(ulong area)
        {
            if (area != 0) KernelMemory.Pages->FreePages(area, s_pages);
        }

        public static void Switch(ulong outgoingArea, ulong incomingArea)
        {
            if (!Enabled) return;
            if (outgoingArea != 0) Cpu.SaveExtendedState((void*)outgoingArea, s_components);
            if (incomingArea != 0) Cpu.RestoreExtendedState((void*)incomingArea, s_components);
        }
    }
}
