using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Time
{
    // KVM's paravirtual clock (kvmclock, pvclock ABI: Linux's Documentation/virt/kvm/x86/msr.rst), read once for
    // the TSC's rate: KVM, Firecracker and the KVM-based clouds offer it, QEMU TCG does not. The guest names a
    // physical address with MSR_KVM_SYSTEM_TIME_NEW; on that write KVM fills a pvclock_vcpu_time_info there,
    // whose tsc_to_system_mul and tsc_shift are how KVM itself turns this vCPU's TSC into nanoseconds. The
    // clock is switched off again right after: the kernel keeps time with the TSC alone (Clock).
    internal static unsafe class Kvmclock
    {
        private const uint HypervisorBaseLeaf = 0x4000_0000, KvmFeaturesLeaf = 0x4000_0001;
        private const uint HypervisorPresentBit = 1u << 31;          // CPUID.1:ECX
        private const uint FeatureClocksource2 = 1u << 3;            // KVM_FEATURE_CLOCKSOURCE2: the 0x4b564dxx MSRs
        private const uint SystemTimeNewMsr = 0x4b56_4d01;
        private const ulong EnableBit = 1;
        // "KVMKVMKVM\0\0\0" in EBX, ECX, EDX.
        private const uint SignatureEbx = 0x4b4d_564b, SignatureEcx = 0x564b_4d56, SignatureEdx = 0x0000_004d;

        // struct pvclock_vcpu_time_info (32 bytes, 4-byte aligned; a page of its own here).
        private struct TimeInfo
        {
            public volatile uint Version;   // odd while KVM updates the record
            public uint Pad0;
            public ulong TscTimestamp;
            public ulong SystemTime;
            public uint TscToSystemMultiplier;
            public sbyte TscShift;
            public byte Flags;
            public ushort Pad1;
        }

        public static bool IsPresent
        {
            get
            {
                uint* r = stackalloc uint[4];
                Cpu.CpuId(1, 0, r);
                if ((r[2] & HypervisorPresentBit) == 0) return false;
                Cpu.CpuId(HypervisorBaseLeaf, 0, r);
                if (r[0] < KvmFeaturesLeaf || r[1] != SignatureEbx || r[2] != SignatureEcx || r[3] != SignatureEdx) return false;
                Cpu.CpuId(KvmFeaturesLeaf, 0, r);
                return (r[0] & FeatureClocksource2) != 0;
            }
        }

        /// <summary>The TSC's rate as KVM scales it, or 0 (no kvmclock, no free page, or a record that never settled).</summary>
        public static ulong TscFrequencyHz()
        {
            if (!IsPresent) return 0;
            ulong page = KernelMemory.Pages->AllocateZeroedPages(1);
            if (page == 0) return 0;
            var info = (TimeInfo*)MemoryLayout.ToDirectMap(page);
            Cpu.WriteMsr(SystemTimeNewMsr, page | EnableBit);
            uint multiplier = 0;
            sbyte shift = 0;
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                uint version = info->Version;
                if ((version & 1) != 0 || version == 0) continue;   // being written, or not yet written
                multiplier = info->TscToSystemMultiplier;
                shift = info->TscShift;
                if (info->Version == version) break;
                multiplier = 0;
            }
            Cpu.WriteMsr(SystemTimeNewMsr, 0);   // KVM stops writing the page before it is given back
            KernelMemory.Pages->FreePages(page, 1);
            return TscRates.FromPvclock(multiplier, shift);
        }
    }
}
