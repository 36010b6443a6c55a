using Kernel.Arch;
using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Threads
{
    // Round-robin scheduling of the app's threads on one CPU.
    //
    // The kernel itself never blocks in the middle of its code: interrupts are off in the kernel, each
    // entry from ring 3 (system call, fault, timer) is handled to completion, and the scheduler's only
    // decision is which thread's frame the entry returns to (uk_interrupt's return value; switching
    // threads is the boot stub's `mov rsp, frame`). A call that must wait parks its thread (Block) and
    // is completed later by Wake, which writes the result into the parked frame (or rewinds it to
    // re-execute the `syscall`). Preemption is the timer interrupt asking for a switch. With no runnable
    // thread the CPU halts with interrupts on until a timer or device wakes someone.
    //
    // SMP later: Current and the run decision become per CPU, and these lists get a lock.
    internal static unsafe class Scheduler
    {
        public const long NoResult = long.MinValue;
        private const int SyscallInstructionLength = 2;
        private const uint FsBaseMsr = 0xC000_0100, KernelGsBaseMsr = 0xC000_0102;

        private static Thread[] s_threads;
        private static int s_count;
        private static int s_nextId;
        private static int s_alive;
        private static bool s_switchRequested;
        private static Thread s_deadToFree;
        private static ulong s_lastSwitch;
        private static ulong s_exitedCpuNanoseconds;
        private static ulong s_exitedSystemNanoseconds;
        private static ulong s_kernelEntry;   // monotonic ns of the current entry from ring 3 (EnteredFromApp)

        public static Thread Current;
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
        }

        /// <summary>A new thread with its own kernel stack; its frame (at the stack top) is zeroed for the caller to fill.</summary>
        public static Thread Create()
        {
            ulong stack = KernelStacks.Allocate();
            if (stack == 0) return null;
            var thread = new Thread();
            thread.Id = s_nextId++;
            thread.KernelStackBase = stack;
            thread.KernelStackTop = stack + Thread.KernelStackPages * PageAllocator.PageSize;
            thread.State = ThreadState.Runnable;
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

        /// <summary>PLACEHOLDER until wt/smpsched's scheduler honours affinity (smpabi-notes.txt): stores the mask.</summary>
        public static void SetAffinity(Thread thread, ulong mask) => thread.AffinityMask = mask;

        public static Thread Find(int id)
        {
            for (int i = 0; i < s_count; i++)
                if (s_threads[i].Id == id && s_threads[i].State != ThreadState.Dead) return s_threads[i];
            return null;
        }

        /// <summary>The time slice, and so the granularity of sleeps and timeouts.</summary>
        public const ulong TickNanoseconds = 4_000_000;

        /// <summary>Runs the first thread: never returns.</summary>
        public static void Start(Thread first)
        {
            Current = first;
            Boot.BootReport.WriteTimer();   // the timer's first use: its rate is measured now if need be
            Time.TimerInterrupt.Hook = &OnTimerTick;
            Time.LocalApic.StartPeriodicTimer(TickNanoseconds, InterruptVectors.Timer);
            WakeSources++;
            s_lastSwitch = Time.Clock.MonotonicNanoseconds;
            Enter(first);
            UserAccess.Begin();
            Signals.SignalDelivery.PrepareReturnToUser(first);   // the same check as every later return to ring 3
            UserAccess.End();
            Cpu.ResumeFrame(first.Frame);
        }

        /// <summary>
        /// The end of every entry from ring 3: the frame to return to. The current thread continues unless
        /// it blocked, died or used up its time slice (RequestSwitch).
        /// </summary>
        public static InterruptFrame* Leave()
        {
            ChargeKernelTime();
            Thread next = Current;
            if (next.State != ThreadState.Runnable || s_switchRequested)
            {
                ChargeCurrent();
                next = PickNext();
            }
            s_switchRequested = false;
            if (next != Current)    // only after PickNext, which ChargeCurrent preceded
            {
                ExtendedState.Switch(Current.ExtendedStateArea, next.ExtendedStateArea);
                Current = next;
                Enter(next);
            }
            // Not while this very entry still runs on the dead thread's kernel stack (it exited in this entry):
            // the stack is unmapped when freed. The next entry, on another thread's stack, frees it.
            if (s_deadToFree != null && !OnKernelStackOf(s_deadToFree)) FreeDead();
            // Signal frames go onto the app's stack and sigreturn frames come from it: a UserAccess window
            // (SMAP) around the delivery, whose only user-memory copies are SignalDelivery's WriteToUser/ReadFromUser.
            UserAccess.Begin();
            Signals.SignalDelivery.PrepareReturnToUser(Current);
            UserAccess.End();
            return Current.Frame;
        }

        // Every tick: wake the sleepers whose time has come; an app thread that was running has used
        // up its slice (a tick while the kernel idles just returns to the idle loop).
        private static InterruptFrame* OnTimerTick(InterruptFrame* frame)
        {
            if (PollHook != null) PollHook();   // net: received packets may wake threads
            ulong now = Time.Clock.MonotonicNanoseconds;
            ExpireDeadlines(now);
            if (DeadlineHook != null) DeadlineHook(now);
            if ((frame->Cs & 3) != 3 || Current == null) return frame;
            RequestSwitch();
            return Leave();
        }

        /// <summary>CPU time of a thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): time it ran, idle excluded.</summary>
        public static ulong ThreadCpuNanoseconds(Thread thread)
        {
            ulong running = thread == Current ? Time.Clock.MonotonicNanoseconds - s_lastSwitch : 0;
            return thread.CpuNanoseconds + running;
        }

        /// <summary>
        /// An entry from ring 3 began (InterruptDispatcher): the time until Leave is the current thread's system
        /// time. Two clock reads per entry; an entry that never reaches Leave is overwritten by the next one.
        /// </summary>
        public static void EnteredFromApp() => s_kernelEntry = Time.Clock.MonotonicNanoseconds;

        private static void ChargeKernelTime()
        {
            if (s_kernelEntry == 0) return;
            ulong now = Time.Clock.MonotonicNanoseconds;
            if (now > s_kernelEntry) Current.SystemNanoseconds += now - s_kernelEntry;
            s_kernelEntry = 0;
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

        private static void ChargeCurrent()
        {
            ulong now = Time.Clock.MonotonicNanoseconds;
            Current.CpuNanoseconds += now - s_lastSwitch;
            s_lastSwitch = now;
        }

        /// <summary>The time slice is over (timer) or the thread yields: switch at the next Leave.</summary>
        public static void RequestSwitch() => s_switchRequested = true;

        /// <summary>Parks the current thread (see Blocking); the system call returns NoResult.</summary>
        public static long Block(WaitQueue queue, bool restart, ulong deadline, long timeoutResult)
        {
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
            if (s_deadToFree != null) FreeDead();
            s_deadToFree = t;                   // its kernel stack is the one we are standing on
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

        private static Thread PickNext()
        {
            while (true)
            {
                int start = IndexOf(Current);
                for (int step = 1; step <= s_count; step++)
                {
                    Thread candidate = s_threads[(start + step) % s_count];
                    if (candidate.State == ThreadState.Runnable) return candidate;
                }
                Idle();
            }
        }

        // Nothing can run: wait for an interrupt (timer tick, device) that may wake a thread.
        private static void Idle()
        {
            if (PollHook != null) PollHook();   // net: received packets may wake threads
            ulong now = Time.Clock.MonotonicNanoseconds;
            s_lastSwitch = now;                 // time spent idle is nobody's CPU time
            ExpireDeadlines(now);
            if (DeadlineHook != null) DeadlineHook(now);
            if (AnyRunnable()) return;
            if (WakeSources == 0)
            {
                if (!AnyDeadline()) ReportDeadlock();
                // No timer interrupt to wait for: poll the clock until the earliest deadline passes.
                Cpu.Pause();
                return;
            }
            Cpu.WaitForInterrupt();
        }

        private static bool AnyRunnable()
        {
            for (int i = 0; i < s_count; i++) if (s_threads[i].State == ThreadState.Runnable) return true;
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

        private static void FreeDead()
        {
            Thread t = s_deadToFree;
            s_deadToFree = null;
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
