namespace Kernel.Arch
{
    // The CPU's own guards against an app that tries to use or fool the kernel, switched on when CPUID
    // offers them (QEMU's `-cpu max` does, under TCG too):
    // - SMEP: the kernel never executes a user page (a jump into app memory faults instead of running it);
    // - SMAP: the kernel touches user pages only inside UserAccess windows (system call handlers and the
    //   few places that build the app's stack or signal frames); anywhere else it faults;
    // - UMIP: sgdt, sidt, sldt, str and smsw fault in ring 3, so the app cannot learn where the kernel's
    //   descriptor tables are.
    internal static unsafe class CpuProtection
    {
        private const ulong Cr4Umip = 1UL << 11, Cr4Smep = 1UL << 20, Cr4Smap = 1UL << 21;
        private const uint Leaf7EbxSmep = 1u << 7, Leaf7EbxSmap = 1u << 20, Leaf7EcxUmip = 1u << 2;

        public static bool Smep { get; private set; }
        public static bool Smap { get; private set; }
        public static bool Umip { get; private set; }

        public static void Enable()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0, 0, r);
            if (r[0] < 7) return;
            Cpu.CpuId(7, 0, r);
            Smep = (r[1] & Leaf7EbxSmep) != 0;
            Smap = (r[1] & Leaf7EbxSmap) != 0;
            Umip = (r[2] & Leaf7EcxUmip) != 0;
            ulong cr4 = Cpu.ReadCr4();
            if (Smep) cr4 |= Cr4Smep;
            if (Smap) cr4 |= Cr4Smap;
            if (Umip) cr4 |= Cr4Umip;
            if (Smap) Cpu.ClearAlignmentCheck();
            Cpu.WriteCr4(cr4);
        }
    }
}
