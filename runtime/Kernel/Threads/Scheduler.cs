using Kernel.Arch;
using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Threads
{
    // Round-robin scheduling of the app's threads on every CPU.
    //
    // The kernel itself never blocks in the middle of its code: interrupts are off in the kernel, each
    // entry from ring 3 (system call, fault, timer) is handled to completion, and the scheduler's only
    // decision is which thread's frame the entry returns to (uk_interrupt's return value; switching
    // threads is the boot stub's `mov rsp, frame`). A call that must wait parks its thread (Block) and
    // is completed later by Wake, which writes the result into the parked frame (or rewinds it to
    // re-execute the `syscall`). Preemption is the timer interrupt asking for a switch. With no runnable
    // thread the CPU enters its idle context (its own stack, ring 0, interrupts on, `hlt`) until an interrupt
    // -- its timer tick, a device, a Reschedule IPI from the CPU that woke a thread -- lets it pick again.
    //
    // SMP: everything here runs under the big kernel lock (KernelLock; docs/architecture.md, "Locking"), so one
    // run list (s_threads) serves every CPU: what "this CPU" owns -- Current, the switch request, the time of
    // the last switch and of the kernel entry, the dead thread whose stack it still stands on, the idle context
    // -- lives in its per-CPU block (Arch/PerCpuBlock, through GS). A thread runs on at most one CPU (RunningOn) and
    // only where its AffinityMask allows.
    internal static unsafe class Scheduler
    {
        public const long NoResult = long.MinValue;
        private const int SyscallInstructionLength = 2;
        private const uint FsBaseMsr = 0xC000_0100, KernelGsBaseMsr = 0xC000_0102;

        private static Thread[] s_threads;
        private static int s_count;
        private static int s_nextId;
        private static int s_alive;
        private static ulong s_exitedCpuNanoseconds;
        private static ulong s_exitedSystemNanoseconds;
        private static int s_rotor;   // where an idle CPU starts looking: threads share the CPUs in turn

        // Per CPU: Current and the fields of PerCpuBlock after it (switch request, last switch, kernel entry, the
        // dead thread to free, the idle frame), one pointer away.

        /// <summary>The thread this CPU runs (null while it idles, and before the app starts).</summary>
        public static Thread Current => CurrentIn(PerCpu.This);

        // The block's word read as the reference it holds: a plain load (a copy through a local costs a spill).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static Thread CurrentIn(PerCpuBlock* block) => System.Runtime.CompilerServices.Unsafe.AsRef<Thread>(&block->Current);

        private static Thread CurrentOf(int cpu) => CurrentIn(PerCpu.Block(cpu));

        private static void SetCurrent(int cpu, Thread thread) => PerCpu.Block(cpu)->Current = AddressOf(thread);

        private static Thread ThreadAt(ulong address)
        {
            nint value = (nint)address;
            return System.Runtime.CompilerServices.Unsafe.As<nint, Thread>(ref value);
        }

        private static ulong AddressOf(Thread thread) => (ulong)System.Runtime.CompilerServices.Unsafe.As<Thread, nint>(ref thread);
        /// <summary>The app's first thread runs (Start): system calls come from threads from here on.</summary>
        public static bool HasStarted;

        public static int LiveThreads => s_alive;
        public static int ThreadCount => s_count;
        public static Thread ThreadAt(int index) => s_threads[index];

        /// <summary>Devices and timers that can wake a thread; with none, all threads blocked is a deadlock.</summary>
        public static int WakeSources;

        /// <summary>Device polling (the network stack, Net/NetworkStack.Poll): every tick and before the CPU idles. Null: none.</summary>
        public static delegate*<void> PollHook;

        /// <summary>Called with the monotonic time wherever deadlines expire (every tick, when idle): Process/ShutdownRequests' grace period. Null: none.</summary>
        public static delegate*<ulong, void> DeadlineHook;

        public static void Initialize()
        {
            s_threads = new Thread[16];
            s_nextId = 1;
            InterruptHandlers.Register(InterruptVectors.Reschedule, &OnReschedule);
        }

        /// <summary>A new thread with its own kernel stack; its frame (at the stack top) is zeroed for the caller to fill.</summary>
        public static Thread Create()
        {
            LockChecks.AssertHeld("the scheduler's thread list");
            ulong stack = KernelStacks.Allocate();
            if (stack == 0) return null;
            var thread = new Thread();
            thread.Id = s_nextId++;
            thread.KernelStackBase = stack;
            thread.KernelStackTop = stack + Thread.KernelStackPages * PageAllocator.PageSize;
            thread.State = ThreadState.Runnable;
            thread.RunningOn = Thread.NotRunning;
            thread.AffinityMask = ulong.MaxValue;
            thread.StartNanoseconds = Time.Clock.MonotonicNanoseconds;
            thread.ExtendedStateArea = ExtendedState.AllocateArea();
            if (ExtendedState.Enabled && thread.ExtendedStateArea == 0)
            {
                KernelStacks.Free(stack);
                KernelMemory.Free(thread);
                return null;
            }
            if (s_count == s_threads.Length)
            {
                var larger = new Thread[s_threads.Length * 2];
                for (int i = 0; i < s_count; i++) larger[i] = s_threads[i];
                KernelMemory.Free(s_threads);
                s_threads = larger;
            }
            s_threads[s_count++] = thread;
            s_alive++;
            return thread;
        }

        public static Thread Find(int id)
        {
            for (int i = 0; i < s_count; i++)
                if (s_threads[i].Id == id && s_threads[i].State != ThreadState.Dead) return s_threads[i];
            return null;
        }

        /// <summary>The time slice, and so the granularity of sleeps and timeouts.</summary>
        public const ulong TickNanoseconds = 4_000_000;

        /// <summary>Runs the first thread: never returns. The boot CPU holds the kernel lock since boot (KernelLock);
        /// resuming the thread gives it back, and the other CPUs, waiting for it, start taking work.</summary>
        public static void Start(Thread first)
        {
            int cpu = PerCpu.Index;
            SetCurrent(cpu, first);
            first.RunningOn = cpu;
            Boot.BootReport.WriteTimer();   // the timer's first use: its rate is measured now if need be
            Time.TimerInterrupt.Hook = &OnTimerTick;
            Time.LocalApic.StartPeriodicTimer(TickNanoseconds, InterruptVectors.Timer);
            WakeSources++;
            PerCpu.Block(cpu)->LastSwitch = Time.Clock.MonotonicNanoseconds;
            KernelLock.ResetCounters();
            HasStarted = true;
            KernelLock.EnterUniprocessorMode();   // APs came up before the app or never: with one CPU, no lock from here on
            Enter(first);
            UserAccess.Begin();
            Signals.SignalDelivery.PrepareReturnToUser(first);   // the same check as every later return to ring 3
            UserAccess.End();
            Cpu.ResumeFrame(first.Frame);
        }

        /// <summary>
        /// An application processor, started by Arch (PerCpu, its local APIC and timer set up), joins the
        /// scheduler: it waits for the kernel lock, then runs whatever is runnable or idles. Never returns.
        /// </summary>
        public static void RunApplicationProcessor()
        {
            KernelLock.AcquireOutsideEntry();
            int cpu = PerCpu.Index;
            PerCpu.MarkOnline(cpu);
            if (s_threads == null)
            {
                // No app (a kernel-only image): nothing will ever run here.
                KernelLock.ReleaseAll();
                Cpu.HaltForever();
            }
            PerCpu.Block(cpu)->LastSwitch = Time.Clock.MonotonicNanoseconds;
            Cpu.ResumeFrame(Leave());
        }

        /// <summary>
        /// The end of every entry from ring 3, and of every interrupt that found this CPU idle: the frame to
        /// return to. The current thread continues unless it blocked, died, used up its time slice
        /// (RequestSwitch) or may no longer run here (affinity); the idle context's frame when nothing can run.
        /// </summary>
        public static InterruptFrame* Leave() => Leave(PerCpu.This);

        /// <summary>Leave with this CPU's block (PerCpu.This) at hand: the dispatcher read it once for the entry.</summary>
        public static InterruptFrame* Leave(PerCpuBlock* me)
        {
            LockChecks.AssertHeld("the scheduler's run list");
            Thread current = CurrentIn(me);
            // Most entries end here: the thread goes on, on this CPU, with nothing to free. On a machine that stayed on
            // one CPU every thread may run there (sched_setaffinity keeps only online CPUs and refuses an empty mask).
            if (current == null || current.State != ThreadState.Runnable || me->SwitchRequested != 0 || me->DeadToFree != 0
                || (!KernelLock.Uniprocessor && !MayRunOn(current, me->Index)))
                return LeaveSwitching(me, current);
            ChargeKernelTime(me, current);
            return ReturnToUser(current);
        }

        // Leave's other cases: a switch, idle, or a dead thread's stack to free.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static InterruptFrame* LeaveSwitching(PerCpuBlock* me, Thread current)
        {
            int cpu = me->Index;
            Thread next = current;
            if (current != null)
            {
                ChargeKernelTime(me, current);
                if (current.State != ThreadState.Runnable || me->SwitchRequested != 0 || !MayRunOn(current, cpu))
                {
                    ChargeCurrent(me, current);
                    next = PickNext(cpu, current);
                }
            }
            else
            {
                next = PickNext(cpu, null);
            }
            me->SwitchRequested = 0;
            if (next != current)    // only after PickNext, which ChargeCurrent preceded
            {
                if (current != null)
                {
                    current.RunningOn = Thread.NotRunning;
                    ExtendedState.Switch(current.ExtendedStateArea, 0);
                }
                me->Current = AddressOf(next);
                if (next != null)
                {
                    next.RunningOn = cpu;
                    ExtendedState.Switch(0, next.ExtendedStateArea);
                    me->LastSwitch = Time.Clock.MonotonicNanoseconds;
                    Enter(next);
                }
            }
            // Not while this very entry still runs on the dead thread's kernel stack (it exited in this entry):
            // the stack is unmapped when freed. This CPU's next entry, on another stack, frees it.
            if (me->DeadToFree != 0 && !OnKernelStackOf(ThreadAt(me->DeadToFree))) FreeDead(cpu);
            if (next == null) return GoIdle(cpu);
            return ReturnToUser(next);
        }

        // Signal frames go onto the app's stack and sigreturn frames come from it: a UserAccess window (SMAP) around
        // the delivery, whose only user-memory copies are SignalDelivery's WriteToUser/ReadFromUser.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static InterruptFrame* ReturnToUser(Thread next)
        {
            UserAccess.Begin();
            Signals.SignalDelivery.PrepareReturnToUser(next);
            UserAccess.End();
            return next.Frame;
        }

        /// <summary>Whether this entry interrupted this CPU's idle loop (its frame is the idle context's).</summary>
        public static bool InterruptedIdle(InterruptFrame* frame)
        {
            if ((frame->Cs & 3) != 0) return false;
            ulong idle = PerCpu.This->IdleFrame;
            return idle != 0 && frame->Rsp == ((InterruptFrame*)idle)->Rsp;
        }

        // Every tick, on every CPU: wake the sleepers whose time has come; an app thread that was running has
        // used up its slice. A tick in the idle loop lets the CPU look for work (null: the dispatcher's Leave);
        // one inside the kernel (a nested entry) just returns.
        private static InterruptFrame* OnTimerTick(InterruptFrame* frame)
        {
            if (PollHook != null) PollHook();   // net: received packets may wake threads
            ulong now = Time.Clock.MonotonicNanoseconds;
            ExpireDeadlines(now);
            if (DeadlineHook != null) DeadlineHook(now);
            if ((frame->Cs & 3) != 3 || Current == null) return InterruptedIdle(frame) ? null : frame;
            RequestSwitch();
            return Leave();
        }

        // Another CPU woke a thread this one may run, or queued a signal for the thread it runs: the dispatcher's
        // Leave (null) picks or delivers.
        private static InterruptFrame* OnReschedule(InterruptFrame* frame)
        {
            Time.LocalApic.EndOfInterrupt();
            return null;
        }

        /// <summary>CPU time of a thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): time it ran, idle excluded.</summary>
        public static ulong ThreadCpuNanoseconds(Thread thread)
        {
            int cpu = thread.RunningOn;
            ulong running = cpu != Thread.NotRunning ? Time.Clock.MonotonicNanoseconds - PerCpu.Block(cpu)->LastSwitch : 0;
            return thread.CpuNanoseconds + running;
        }

        /// <summary>
        /// An entry from ring 3 began (InterruptDispatcher): the time until Leave is the current thread's system
        /// time. Two clock reads per entry; an entry that never reaches Leave is overwritten by the next one.
        /// </summary>
        /// <returns>Whether the entry came from an app thread (false before the app runs).</returns>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static bool EnteredFromApp(PerCpuBlock* me)
        {
            if (me->Current == 0) return false;
            me->KernelEntry = Time.Clock.MonotonicNanoseconds;
            return true;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static void ChargeKernelTime(PerCpuBlock* me, Thread current)
        {
            ulong entry = me->KernelEntry;
            if (entry == 0) return;
            ulong now = Time.Clock.MonotonicNanoseconds;
            if (now > entry) current.SystemNanoseconds += now - entry;
            me->KernelEntry = 0;
        }

        /// <summary>System time of the process: its threads', the exited ones' included (stime, ru_stime).</summary>
        public static ulong ProcessSystemNanoseconds()
        {
            ulong total = s_exitedSystemNanoseconds;
            for (int i = 0; i < s_count; i++) total += s_threads[i].SystemNanoseconds;
            return total;
        }

        /// <summary>CPU time of the process (CLOCK_PROCESS_CPUTIME_ID): its threads', the exited ones' included.</summary>
        public static ulong ProcessCpuNanoseconds()
        {
            ulong total = s_exitedCpuNanoseconds;
            for (int i = 0; i < s_count; i++) total += ThreadCpuNanoseconds(s_threads[i]);
            return total;
        }

        private static void ChargeCurrent(PerCpuBlock* me, Thread current)
        {
            ulong now = Time.Clock.MonotonicNanoseconds;
            current.CpuNanoseconds += now - me->LastSwitch;
            me->LastSwitch = now;
        }

        /// <summary>The time slice is over (timer) or the thread yields: this CPU switches at its next Leave.</summary>
        public static void RequestSwitch() => PerCpu.This->SwitchRequested = 1;

        /// <summary>The thread's AffinityMask changed (sched_setaffinity): a thread running where it may no longer
        /// run leaves that CPU at its next return to ring 3, and a CPU it may use is woken if idle.</summary>
        public static void AffinityChanged(Thread thread)
        {
            int cpu = thread.RunningOn;
            if (cpu != Thread.NotRunning && !MayRunOn(thread, cpu))
            {
                PerCpu.Block(cpu)->SwitchRequested = 1;
                if (cpu != PerCpu.Index) Ipi.Send(cpu, InterruptVectors.Reschedule);
            }
            if (thread.State == ThreadState.Runnable) WakeIdleCpuFor(thread);
        }

        /// <summary>
        /// Something for the thread to do at its next return to ring 3 (a signal queued for it): if it runs in
        /// ring 3 on another CPU, that CPU is interrupted (Reschedule) so that the return comes now.
        /// </summary>
        public static void Kick(Thread thread)
        {
            int cpu = thread.RunningOn;
            if (cpu != Thread.NotRunning && cpu != PerCpu.Index) Ipi.Send(cpu, InterruptVectors.Reschedule);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static bool MayRunOn(Thread thread, int cpu) => (thread.AffinityMask & (1UL << cpu)) != 0;

        // A thread became runnable: if a CPU it may use idles, interrupt it so that it picks the thread now
        // rather than at its next tick. One CPU is enough: the thread runs on one.
        private static void WakeIdleCpuFor(Thread thread)
        {
            int count = PerCpu.Count;
            if (count < 2 || s_threads == null) return;
            int me = PerCpu.Index;
            for (int cpu = 0; cpu < PerCpu.MaxCpus && count > 0; cpu++)
            {
                if (!PerCpu.IsOnline(cpu)) continue;
                count--;
                if (cpu == me || CurrentOf(cpu) != null || PerCpu.Block(cpu)->IdleFrame == 0 || !MayRunOn(thread, cpu)) continue;
                Ipi.Send(cpu, InterruptVectors.Reschedule);
                return;
            }
        }

        /// <summary>Parks the current thread (see Blocking); the system call returns NoResult.</summary>
        public static long Block(WaitQueue queue, bool restart, ulong deadline, long timeoutResult)
        {
            LockChecks.AssertHeld("a thread's wait state");
            Thread t = Current;
            t.State = ThreadState.Blocked;
            t.BlockedOn = queue;
            t.RestartOnWake = restart;
            t.Deadline = deadline;
            t.TimeoutResult = timeoutResult;
            if (queue != null) queue.Add(t);
            return NoResult;
        }

        /// <summary>Completes a parked thread's system call with <paramref name="result"/> (or restarts it).</summary>
        public static void Wake(Thread thread, long result)
        {
            LockChecks.AssertHeld("a thread's wait state");
            if (thread.State != ThreadState.Blocked) return;
            if (thread.BlockedOn != null) thread.BlockedOn.Remove(thread);
            thread.BlockedOn = null;
            if (thread.RestartOnWake && result != -LinuxAbi.Errno.EINTR)
            {
                // rax still holds the call number (a parked call's result is never written).
                thread.Frame->Rip -= SyscallInstructionLength;
                thread.RestartedDeadline = thread.Deadline;
            }
            else
            {
                thread.Frame->Rax = (ulong)result;
            }
            if (thread.SleepRemainder != 0)
            {
                ulong now = Time.Clock.MonotonicNanoseconds;
                if (result == -LinuxAbi.Errno.EINTR) thread.SleepLeft = thread.Deadline > now ? thread.Deadline - now : 0;
                else thread.SleepRemainder = 0;
            }
            thread.Deadline = 0;
            thread.FutexAddress = 0;
            thread.EndsOnSignal = false;
            thread.RestartAtDeadline = false;
            thread.WaitedSignals = 0;
            thread.State = ThreadState.Runnable;
            WakeIdleCpuFor(thread);
        }

        /// <summary>Wakes the threads whose deadline has passed (called on every timer tick and when idle).</summary>
        public static void ExpireDeadlines(ulong now)
        {
            for (int i = 0; i < s_count; i++)
            {
                Thread t = s_threads[i];
                if (t.State == ThreadState.Blocked && t.Deadline != 0 && t.Deadline <= now)
                {
                    bool restart = t.RestartOnWake;
                    // A timeout completes the call, it does not restart it (unless it asked to be re-run).
                    if (!t.RestartAtDeadline) t.RestartOnWake = false;
                    Wake(t, t.TimeoutResult);
                    t.RestartOnWake = restart;
                }
            }
        }

        /// <summary>The current thread ends (exit, or a fatal signal to the whole process is handled elsewhere).</summary>
        public static void ExitCurrent(int status)
        {
            Thread t = Current;
            if (t.ClearChildTid != 0 && UserAddressSpace.IsAccessible(t.ClearChildTid, 4, true))
            {
                UserAccess.Begin();
                *(int*)t.ClearChildTid = 0;
                UserAccess.End();
                Futex.Wake(t.ClearChildTid, 1, Futex.AllBits);
            }
            t.State = ThreadState.Dead;
            s_alive--;
            if (s_alive == 0) Process.AppExit.Exit(status);
            int cpu = PerCpu.Index;
            if (PerCpu.Block(cpu)->DeadToFree != 0) FreeDead(cpu);
            PerCpu.Block(cpu)->DeadToFree = AddressOf(t);              // its kernel stack is the one this CPU stands on
        }

        private static bool OnKernelStackOf(Thread thread)
        {
            ulong rsp = Cpu.ReadStackPointer();
            return rsp >= thread.KernelStackBase && rsp < thread.KernelStackTop;
        }

        private static void Enter(Thread thread)
        {
            Cpu.SetKernelStack(thread.KernelStackTop);
            Cpu.WriteMsr(FsBaseMsr, thread.FsBase);
            Cpu.WriteMsr(KernelGsBaseMsr, thread.GsBase);   // the app's GS, swapped in on the way to ring 3
        }

        // The next thread for this CPU, round robin after the current one: runnable, running nowhere else and
        // allowed here; the current one again if nobody else qualifies and it may go on; null: idle.
        private static Thread PickNext(int cpu, Thread current)
        {
            if (s_count == 0) return null;
            int start = current != null ? IndexOf(current) : (s_rotor++ & 0x7FFF_FFFF) % s_count;
            for (int step = 1; step <= s_count; step++)
            {
                Thread candidate = s_threads[(start + step) % s_count];
                if (candidate.State != ThreadState.Runnable || !MayRunOn(candidate, cpu)) continue;
                if (candidate.RunningOn != Thread.NotRunning && candidate != current) continue;
                return candidate;
            }
            return null;
        }

        // Nothing can run here: the idle context's frame. The network is polled and deadlines expire first (they
        // may make a thread runnable), and with no wake source left while no CPU runs anything, it is a deadlock.
        private static InterruptFrame* GoIdle(int cpu)
        {
            if (PollHook != null) PollHook();
            ulong now = Time.Clock.MonotonicNanoseconds;
            ExpireDeadlines(now);
            if (DeadlineHook != null) DeadlineHook(now);
            Thread next = PickNext(cpu, null);
            if (next != null)
            {
                SetCurrent(cpu, next);
                next.RunningOn = cpu;
                ExtendedState.Switch(0, next.ExtendedStateArea);
                PerCpu.Block(cpu)->LastSwitch = now;
                Enter(next);
                UserAccess.Begin();
                Signals.SignalDelivery.PrepareReturnToUser(next);
                UserAccess.End();
                return next.Frame;
            }
            if (WakeSources == 0 && !AnyRunning() && !AnyDeadline()) ReportDeadlock();
            // Built on first use: a CPU that never idles (one busy CPU) never pays for the stack.
            if (!PrepareIdle(cpu)) Diagnostics.Panic.Fail("scheduler: no memory for an idle stack");
            TlbShootdown.EnterIdle();
            return (InterruptFrame*)PerCpu.Block(cpu)->IdleFrame;
        }

        // The idle context: a stack of its own (an interrupt in idle runs the kernel on it, so it is a full kernel
        // stack) and, at its top, the frame uk_resume_frame enters it through: ring 0, interrupts on, uk_idle_loop.
        // Resuming it never changes it (iretq only reads), so it is built once.
        private static bool PrepareIdle(int cpu)
        {
            if (PerCpu.Block(cpu)->IdleFrame != 0) return true;
            ulong bottom = KernelStacks.Allocate();
            if (bottom == 0) return false;
            ulong top = bottom + Thread.KernelStackPages * PageAllocator.PageSize;
            var frame = (InterruptFrame*)(top - (ulong)sizeof(InterruptFrame));
            *(ushort*)frame->FxSave = InitialFpuControl;
            *(uint*)(frame->FxSave + MxcsrOffset) = InitialMxcsr;
            frame->Rip = IdleLoopAddress();
            frame->Cs = KernelCodeSelector;
            frame->Rflags = InterruptsOnFlags;
            frame->Rsp = (ulong)frame & ~15UL;
            frame->Ss = KernelDataSelector;
            PerCpu.Block(cpu)->IdleFrame = (ulong)frame;
            return true;
        }

        private const ushort InitialFpuControl = 0x037F;
        private const int MxcsrOffset = 24;
        private const uint InitialMxcsr = 0x1F80;
        private const ulong KernelCodeSelector = 0x08, KernelDataSelector = 0x10, InterruptsOnFlags = 0x202;

        [System.Runtime.InteropServices.DllImport("*", EntryPoint = "uk_idle_loop_address"), System.Runtime.InteropServices.SuppressGCTransition]
        private static extern ulong IdleLoopAddress();

        private static bool AnyRunning()
        {
            for (int i = 0; i < s_count; i++)
                if (s_threads[i].RunningOn != Thread.NotRunning || s_threads[i].State == ThreadState.Runnable) return true;
            return false;
        }

        private static bool AnyDeadline()
        {
            for (int i = 0; i < s_count; i++)
                if (s_threads[i].State == ThreadState.Blocked && s_threads[i].Deadline != 0) return true;
            return false;
        }

        // Every thread waits for something only another thread could do: nothing will ever run again.
        private static void ReportDeadlock()
        {
            KernelConsole.Prefix();
            KernelConsole.Write("deadlock: all ");
            KernelConsole.WriteDecimal((ulong)s_alive);
            KernelConsole.WriteLine(" app threads are blocked with no timeout and nothing can wake them");
            for (int i = 0; i < s_count; i++)
            {
                Thread t = s_threads[i];
                if (t.State == ThreadState.Dead) continue;
                KernelConsole.Prefix();
                KernelConsole.Write("  thread ");
                KernelConsole.WriteDecimal((ulong)t.Id);
                KernelConsole.Write(t.FutexAddress != 0 ? " in futex wait on " : " blocked at ");
                KernelConsole.WriteHex(t.FutexAddress != 0 ? t.FutexAddress : t.Frame->Rip);
                KernelConsole.WriteLine();
            }
            Machine.Exit(Machine.PanicExitStatus);
        }

        private static int IndexOf(Thread thread)
        {
            for (int i = 0; i < s_count; i++) if (s_threads[i] == thread) return i;
            return 0;
        }

        private static void FreeDead(int cpu)
        {
            Thread t = ThreadAt(PerCpu.Block(cpu)->DeadToFree);
            PerCpu.Block(cpu)->DeadToFree = 0;
            s_exitedCpuNanoseconds += t.CpuNanoseconds;
            s_exitedSystemNanoseconds += t.SystemNanoseconds;
            KernelStacks.Free(t.KernelStackBase);
            ExtendedState.FreeArea(t.ExtendedStateArea);
            int index = IndexOf(t);
            for (int i = index; i + 1 < s_count; i++) s_threads[i] = s_threads[i + 1];
            s_count--;
            Signals.SignalState.Release(t);
            KernelMemory.Free(t);
        }
    }
}
