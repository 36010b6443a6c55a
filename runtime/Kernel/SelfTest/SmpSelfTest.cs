#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // uk.selftest=smp: every started AP is online with the APIC ID the MADT gave it and answers TLB shootdowns. The
    // rounds alternate a one-page flush, a whole-TLB flush (a range past FlushWholeTlbAbovePages) and a bare barrier
    // (membarrier's), each of which returns only when every other online CPU has taken the interrupt and acknowledged
    // it; a CPU that never answers hangs the test, which the host's timeout reports.
    internal static unsafe class SmpSelfTest
    {
        private const int Rounds = 30;

        public static void Run()
        {
            int cpus = PerCpu.Count;
            if (cpus < 2) SelfTestOutput.Fail("smp: only one CPU online (run with -smp 2 or more)");
            for (int i = 0; i < cpus; i++)
            {
                if (!PerCpu.IsOnline(i)) SelfTestOutput.Fail("smp: a CPU below PerCpu.Count is not online");
                for (int j = 0; j < i; j++)
                    if (PerCpu.ApicIdOf(j) == PerCpu.ApicIdOf(i)) SelfTestOutput.Fail("smp: two CPUs share an APIC ID");
            }
            if (PerCpu.Index != 0 || PerCpu.ApicIdOf(0) != LocalApic.Id) SelfTestOutput.Fail("smp: the boot CPU is not index 0 with its own APIC ID");

            ulong roundsBefore = TlbShootdown.Rounds;
            ulong start = Cpu.ReadTimeStampCounter();
            ulong page = Memory.MemoryLayout.UserBase;
            for (int round = 0; round < Rounds; round++)
            {
                switch (round % 3)
                {
                    case 0: TlbShootdown.Flush(page, 4096); break;
                    case 1: TlbShootdown.Flush(page, (TlbShootdown.FlushWholeTlbAbovePages + 1) * 4096); break;
                    default: TlbShootdown.Synchronize(); break;
                }
            }
            ulong nanoseconds = Clock.TscTicksToNanoseconds(Cpu.ReadTimeStampCounter() - start);
            if (TlbShootdown.Rounds - roundsBefore != Rounds) SelfTestOutput.Fail("smp: a shootdown did not go out to the other CPUs");

            KernelConsole.Prefix();
            KernelConsole.Write("selftest smp: ");
            KernelConsole.WriteDecimal((ulong)cpus);
            KernelConsole.Write(" CPUs online, ");
            KernelConsole.WriteDecimal(Rounds);
            KernelConsole.Write(" shootdown rounds acknowledged by every CPU, ");
            KernelConsole.WriteDecimal(nanoseconds / Rounds / 1000);
            KernelConsole.WriteLine(" us a round (ok)");
        }
    }
}
#endif
