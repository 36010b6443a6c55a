using Kernel.Arch;
using Kernel.LinuxAbi;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // Threads as musl's pthread_create makes them (clone with a shared everything), their ids, futexes
    // and scheduling calls. There is one process: fork-like clones are refused.
    internal static unsafe class ThreadSyscalls
    {
        private const ulong CloneVm = 0x100, CloneFs = 0x200, CloneFiles = 0x400, CloneSighand = 0x800, CloneThread = 0x10000;
        private const ulong CloneSysvsem = 0x40000, CloneSettls = 0x80000, CloneParentSettid = 0x100000;
        private const ulong CloneChildCleartid = 0x200000, CloneDetached = 0x400000, CloneChildSettid = 0x1000000;
        private const ulong CloneRequired = CloneVm | CloneSighand | CloneThread;
        private const ulong CloneSupported = CloneRequired | CloneFs | CloneFiles | CloneSysvsem | CloneSettls
                                             | CloneParentSettid | CloneChildCleartid | CloneDetached | CloneChildSettid;

        private const int FutexWait = 0, FutexWake = 1, FutexRequeue = 3, FutexCmpRequeue = 4, FutexWaitBitset = 9, FutexWakeBitset = 10;
        private const int FutexCommandMask = 127, FutexClockRealtime = 256;

        // clone(flags, stack, parent_tid, child_tid, tls)
        public static long clone(SyscallFrame call)
        {
            ulong flags = call.Arg0 & ~0xFFUL;   // the low byte is the exit signal: none for threads
            if ((flags & CloneRequired) != CloneRequired) return -Errno.ENOSYS;  // fork: one process per image
            if ((flags & ~CloneSupported) != 0) return -Errno.EINVAL;
            if ((flags & CloneParentSettid) != 0 && !UserMemory.IsWritableUserRange(call.Arg2, 4)) return -Errno.EFAULT;
            if ((flags & CloneChildSettid) != 0 && !UserMemory.IsWritableUserRange(call.Arg3, 4)) return -Errno.EFAULT;
            // Linux's rule for a TLS base (arch_prctl's): the scheduler writes it into FS_BASE, where a
            // non-canonical value would fault in the kernel.
            if ((flags & CloneSettls) != 0 && !Signals.UserFrame.IsUserSegmentBase(call.Arg4)) return -Errno.EPERM;

            Thread parent = Scheduler.Current;
            Thread child = Scheduler.Create();
            if (child == null) return -Errno.EAGAIN;
            *child.Frame = *call.Frame;
            child.Frame->Rax = 0;
            if (call.Arg1 != 0) child.Frame->Rsp = call.Arg1;
            child.FsBase = (flags & CloneSettls) != 0 ? call.Arg4 : parent.FsBase;
            child.GsBase = parent.GsBase;
            child.AffinityMask = parent.AffinityMask;   // inherited, as on Linux
            child.SignalMask = parent.SignalMask;
            child.Name = parent.Name;
            if ((flags & CloneChildCleartid) != 0) child.ClearChildTid = call.Arg3;
            if ((flags & CloneParentSettid) != 0) *(int*)call.Arg2 = child.Id;
            if ((flags & CloneChildSettid) != 0) *(int*)call.Arg3 = child.Id;
            return child.Id;
        }

        // exit(status): the calling thread; with no thread yet (a self-test's call), the machine, as exit_group.
        public static long exit(SyscallFrame call)
        {
            if (Scheduler.Current == null) return ProcessSyscalls.exit_group(call);
            Scheduler.ExitCurrent((int)(call.Arg0 & 0xFF));
            return Scheduler.NoResult;
        }

        public static long set_tid_address(SyscallFrame call)
        {
            Scheduler.Current.ClearChildTid = call.Arg0;
            return Scheduler.Current.Id;
        }

        public static long gettid(SyscallFrame call) => Scheduler.Current.Id;

        public static long sched_yield(SyscallFrame call)
        {
            Scheduler.RequestSwitch();
            return 0;
        }

        // sched_getaffinity(pid, size, mask): the thread's CPUs that are online (pid 0: the caller; else any thread of the
        // process by its id). Linux's checks: the size must be a multiple of a long and hold a bit for every possible
        // CPU; the result is the bytes written, min(size, the kernel's mask size), the rest of the caller's buffer left
        // alone. The .NET runtime (Environment.ProcessorCount, the GC's heap count) and musl's sysconf
        // (_SC_NPROCESSORS_ONLN) count the bits.
        public static long sched_getaffinity(SyscallFrame call)
        {
            uint size = (uint)call.Arg1;   // Linux's len is an unsigned int
            if ((ulong)size * 8 < (ulong)PerCpu.Count || (size & 7) != 0) return -Errno.EINVAL;
            Thread thread = ThreadNamed(call.Arg0);
            if (thread == null) return -Errno.ESRCH;
            if (!UserMemory.IsWritableUserRange(call.Arg2, AffinityMaskBytes)) return -Errno.EFAULT;
            *(ulong*)call.Arg2 = thread.AffinityMask & OnlineCpus;
            return (long)AffinityMaskBytes;
        }

        // sched_setaffinity(pid, size, mask): Linux reads min(size, its mask size) bytes (zero-filling a shorter mask),
        // keeps the online CPUs of it and refuses a mask with none (EINVAL). Bits of CPUs beyond the kernel's mask are
        // ignored, as Linux ignores bits past nr_cpu_ids. The scheduler moves the thread if it runs elsewhere.
        public static long sched_setaffinity(SyscallFrame call)
        {
            uint size = (uint)call.Arg1;
            ulong length = size < AffinityMaskBytes ? size : AffinityMaskBytes;
            if (length != 0 && !UserMemory.IsUserRange(call.Arg2, length)) return -Errno.EFAULT;
            ulong requested = 0;
            for (ulong i = 0; i < length; i++) requested |= (ulong)((byte*)call.Arg2)[i] << (int)(8 * i);
            Thread thread = ThreadNamed(call.Arg0);
            if (thread == null) return -Errno.ESRCH;
            ulong allowed = requested & OnlineCpus;
            if (allowed == 0) return -Errno.EINVAL;
            thread.AffinityMask = allowed;
            Scheduler.AffinityChanged(thread);
            return 0;
        }

        // getcpu(cpu, node, cache): the CPU the caller runs on now (musl's sched_getcpu; the .NET runtime's
        // GetCurrentProcessorNumber, which spreads its per-CPU caches with it), one NUMA node.
        public static long getcpu(SyscallFrame call)
        {
            if (call.Arg0 != 0 && !UserMemory.IsWritableUserRange(call.Arg0, 4)) return -Errno.EFAULT;
            if (call.Arg1 != 0 && !UserMemory.IsWritableUserRange(call.Arg1, 4)) return -Errno.EFAULT;
            if (call.Arg0 != 0) *(uint*)call.Arg0 = (uint)PerCpu.Index;
            if (call.Arg1 != 0) *(uint*)call.Arg1 = 0;
            return 0;
        }

        /// <summary>Bit i for each online CPU i (PerCpu numbers them from 0 without gaps).</summary>
        private static ulong OnlineCpus => PerCpu.Count >= 64 ? ~0UL : (1UL << PerCpu.Count) - 1;

        /// <summary>The kernel's CPU mask in bytes (Linux's cpumask_size for at most 64 CPUs: one long).</summary>
        private const ulong AffinityMaskBytes = 8;

        // The runtime's own robust-mutex list is only read when a thread dies holding a lock: accept it.
        public static long set_robust_list(SyscallFrame call) => call.Arg1 == 24 ? 0 : -Errno.EINVAL;

        // futex(uaddr, op, val, timeout | val2, uaddr2, val3)
        public static long futex(SyscallFrame call)
        {
            int op = (int)call.Arg1;
            int command = op & FutexCommandMask;
            ulong address = call.Arg0;
            switch (command)
            {
                case FutexWait:
                case FutexWaitBitset:
                {
                    ulong deadline = 0;
                    if (call.Arg3 != 0)
                    {
                        ulong nanoseconds;
                        long error;
                        if (!UserMemory.TryReadTimespec(call.Arg3, out nanoseconds, out error)) return error;
                        if (command == FutexWait) deadline = Blocking.DeadlineAfter(nanoseconds);
                        else deadline = (op & FutexClockRealtime) != 0 ? Time.Clock.RealtimeToMonotonicNanoseconds(nanoseconds) : nanoseconds;
                        if (deadline == 0) deadline = 1;
                    }
                    uint bitset = command == FutexWait ? Threads.Futex.AllBits : (uint)call.Arg5;
                    return Threads.Futex.Wait(address, (uint)call.Arg2, deadline, bitset);
                }
                case FutexWake:
                    return Threads.Futex.Wake(address, ClampCount(call.Arg2), Threads.Futex.AllBits);
                case FutexWakeBitset:
                    if ((uint)call.Arg5 == 0) return -Errno.EINVAL;
                    return Threads.Futex.Wake(address, ClampCount(call.Arg2), (uint)call.Arg5);
                case FutexCmpRequeue:
                    if (!UserMemory.IsUserRange(address, 4)) return -Errno.EFAULT;
                    if (*(uint*)address != (uint)call.Arg5) return -Errno.EAGAIN;
                    return Threads.Futex.Requeue(address, ClampCount(call.Arg2), call.Arg4, ClampCount(call.Arg3));
                case FutexRequeue:
                    return Threads.Futex.Requeue(address, ClampCount(call.Arg2), call.Arg4, ClampCount(call.Arg3));
                default:
                    return -Errno.ENOSYS;
            }
        }

        private static int ClampCount(ulong value) => value > int.MaxValue ? int.MaxValue : (int)value;

        // pid 0 is the caller; any other id a thread of the process (there is one process, so its id is its first thread's).
        private static Thread ThreadNamed(ulong pid)
        {
            if (pid == 0) return Scheduler.Current;
            return pid > int.MaxValue ? null : Scheduler.Find((int)pid);
        }
    }
}
