namespace Kernel.Arch
{
    // What the CPU says about itself. Computed by a class constructor at first use -- it needs CPUID, so
    // ILC cannot pre-compute it at build time: the demo's proof that cctors really run in the kernel.
    internal static unsafe class CpuIdentity
    {
        public static readonly string Vendor = ReadVendor();
        public static readonly uint MaxBasicLeaf = ReadMaxLeaf();

        private static string ReadVendor()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0, 0, r);
            byte* text = stackalloc byte[12];
            // The vendor string is ebx, edx, ecx in that order.
            *(uint*)text = r[1];
            *(uint*)(text + 4) = r[3];
            *(uint*)(text + 8) = r[2];
            return string.FromAscii(text, 12);
        }

        private static uint ReadMaxLeaf()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0, 0, r);
            return r[0];
        }
    }
}
