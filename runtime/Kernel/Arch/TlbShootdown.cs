using Kernel.Time;

namespace Kernel.Arch
{
    // Keeping every CPU's TLB true to the one set of page tables they share. A CPU caches translations
    // (present entries only: a not-present one is never cached, so mapping a page needs no shootdown);
    // when the kernel removes or narrows a mapping (munmap, mprotect, madvise(DONTNEED), mremap, a freed
    // kernel stack) the other CPUs may still use the old entry until they invalidate it. Flush invalidates
    // here, then publishes the range under a new generation, interrupts every other online CPU
    // (InterruptVectors.TlbShootdown) and waits until each has serviced that generation. A CPU services a
    // request from the interrupt (InterruptDispatcher's first check, before any lock), or from the kernel
    // lock's spin loop, where it waits with interrupts off (ServicePending): otherwise the lock holder,
    // waiting here, and the spinner would wait for each other.
    //
    // Callers hold the kernel lock, so there is one request at a time: the range stays unchanged until every
    // target acknowledged it, and a target that reads the generation reads the range published before it
    // (x86 keeps stores in order; the generation is volatile so that the compiler does too). The round trip
    // (an interrupt, then iretq) also serializes each target's instruction stream, which is what
    // membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) needs: Synchronize.
    //
    // An idle CPU runs nothing that uses app mappings, so it is neither interrupted nor waited for: EnterIdle marks it
    // (with the kernel lock held, as it goes idle), and LeaveIdle, the first thing its next kernel entry does under the
    // lock, drops its whole TLB if a round went by meanwhile. A CPU that missed a round for any reason flushes
    // everything when it catches up: the range it sees is only the latest one.
    //
    // One CPU online: the local invalidation and nothing else (a load and a compare).
    internal static unsafe class TlbShootdown
    {
        private const ulong PageSize = 4096;
        /// <summary>Above this many pages a CR3 reload (the kernel uses no global pages and no PCIDs, so it
        /// drops every translation) is cheaper than one invlpg per page.</summary>
        public const ulong FlushWholeTlbAbovePages = 64;

        private struct Slot { public volatile uint Generation; }

        // The range is written before the generation and read after it: a volatile store releases, a volatile load acquires.
        private static volatile uint s_generation;
        private static ulong s_start, s_end;
        private static readonly Slot[] s_serviced = new Slot[PerCpu.MaxCpus];
        private static readonly Slot[] s_idle = new Slot[PerCpu.MaxCpus];

        /// <summary>Shootdown rounds sent (each one to every other online CPU).</summary>
        public static ulong Rounds;
        /// <summary>TSC ticks initiators spent waiting for acknowledgements, the kernel lock held.</summary>
        public static ulong WaitTicks;

        /// <summary>Invalidates [start, start + length) on this CPU and on every other online CPU.</summary>
        public static void Flush(ulong start, ulong length)
        {
            ulong end = start + length;
            InvalidateLocal(start, end);
            if (PerCpu.Count > 1) Broadcast(start, end);
        }

        /// <summary>
        /// Invalidates [start, end) on every other online CPU; for callers that already invalidated their own
        /// TLB page by page (UserAddressSpace).
        /// </summary>
        public static void FlushOthers(ulong start, ulong end)
        {
            if (PerCpu.Count > 1) Broadcast(start, end);
        }

        /// <summary>Returns once every other online CPU has taken an interrupt (a serializing round trip),
        /// so that no CPU still runs on a view of memory older than this call. Nothing is invalidated.</summary>
        public static void Synchronize()
        {
            if (PerCpu.Count > 1) Broadcast(0, 0);
        }

        /// <summary>Services a request this CPU has not yet answered. Called with interrupts off: from the
        /// TlbShootdown interrupt, and from every loop that waits for the kernel lock.</summary>
        public static void ServicePending()
        {
            int me = PerCpu.Index;
            uint generation = s_generation;
            uint serviced = s_serviced[me].Generation;
            if (serviced == generation) return;
            if (generation - serviced == 1) InvalidateLocal(s_start, s_end);
            else Cpu.WriteCr3(Cpu.ReadCr3());
            s_serviced[me].Generation = generation;
        }

        /// <summary>This CPU goes idle (kernel lock held): rounds from now on neither interrupt nor wait for it.</summary>
        public static void EnterIdle() => s_idle[PerCpu.Index].Generation = 1;

        /// <summary>This CPU left idle (kernel lock held, before anything uses app mappings): it catches up on the rounds it
        /// missed.</summary>
        public static void LeaveIdle()
        {
            int me = PerCpu.Index;
            if (s_idle[me].Generation == 0) return;
            s_idle[me].Generation = 0;
            ServicePending();
        }

        /// <summary>The interrupt's handler, run by InterruptDispatcher before anything else (no lock taken).</summary>
        public static void HandleInterrupt()
        {
            ServicePending();
            LocalApic.EndOfInterrupt();
        }

        /// <summary>An AP coming online (before PerCpu.MarkOnline) has an empty TLB: it owes no earlier request.</summary>
        public static void CatchUp(int index) => s_serviced[index].Generation = s_generation;

        private static void Broadcast(ulong start, ulong end)
        {
            int me = PerCpu.Index;
            s_start = start;
            s_end = end;
            uint generation = s_generation + 1;
            s_generation = generation;
            s_serviced[me].Generation = generation;
            Rounds++;
            ulong sent = Cpu.ReadTimeStampCounter();
            // Idle flags change only under the kernel lock, which this CPU holds: they stay as read here.
            for (int cpu = 0; cpu < PerCpu.MaxCpus; cpu++)
            {
                if (cpu != me && PerCpu.IsOnline(cpu) && s_idle[cpu].Generation == 0) Ipi.Send(cpu, InterruptVectors.TlbShootdown);
            }
            for (int cpu = 0; cpu < PerCpu.MaxCpus; cpu++)
            {
                if (!PerCpu.IsOnline(cpu) || s_idle[cpu].Generation != 0) continue;
                while (s_serviced[cpu].Generation != generation) Cpu.Pause();
            }
            WaitTicks += Cpu.ReadTimeStampCounter() - sent;
        }

        /// <summary>"uk: tlb shootdown: 120 rounds, 3410 us waiting for acknowledgements" at the app's exit, with more
        /// than one CPU online: what keeping the TLBs true cost the CPUs that changed mappings.</summary>
        public static void Report()
        {
            if (PerCpu.Count < 2) return;
            Console.KernelConsole.Prefix();
            Console.KernelConsole.Write("tlb shootdown: ");
            Console.KernelConsole.WriteDecimal(Rounds);
            Console.KernelConsole.Write(" rounds, ");
            Console.KernelConsole.WriteDecimal(Time.Clock.TscTicksToNanoseconds(WaitTicks) / 1000);
            Console.KernelConsole.WriteLine(" us waiting for acknowledgements");
        }

        private static void InvalidateLocal(ulong start, ulong end)
        {
            if (end <= start) return;
            ulong first = start & ~(PageSize - 1);
            if ((end - first + PageSize - 1) / PageSize > FlushWholeTlbAbovePages)
            {
                Cpu.WriteCr3(Cpu.ReadCr3());
                return;
            }
            for (ulong page = first; page < end; page += PageSize) Cpu.InvalidatePage(page);
        }
    }
}
