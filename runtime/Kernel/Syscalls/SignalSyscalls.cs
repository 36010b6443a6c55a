using Kernel.LinuxAbi;
using Kernel.Signals;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // Signal dispositions, masks, alternate stacks, sending, and the return from a handler.
    internal static unsafe class SignalSyscalls
    {
        private const int SigBlock = 0, SigUnblock = 1, SigSetMask = 2;
        private const ulong SigsetSize = 8;
        private const int SsOnStack = 1, SsDisable = 2;

        // rt_sigaction(signal, act, oldact, sigsetsize)
        public static long rt_sigaction(SyscallFrame call)
        {
            int signal = (int)call.Arg0;
            if (call.Arg3 != SigsetSize || !SignalState.IsValid(signal)) return -Errno.EINVAL;
            if (call.Arg1 != 0 && (signal == SignalNumbers.SIGKILL || signal == SignalNumbers.SIGSTOP)) return -Errno.EINVAL;
            if (call.Arg1 != 0 && !UserMemory.IsUserRange(call.Arg1, (ulong)sizeof(SignalAction))) return -Errno.EFAULT;
            if (call.Arg2 != 0 && !UserMemory.IsWritableUserRange(call.Arg2, (ulong)sizeof(SignalAction))) return -Errno.EFAULT;
            SignalAction* action = SignalState.Action(signal);
            SignalAction old = *action;
            if (call.Arg1 != 0)
            {
                *action = *(SignalAction*)call.Arg1;
                action->Mask &= ~SignalNumbers.Unblockable;
                // Setting SIG_IGN (or a default that ignores) drops what is already pending.
                if (SignalState.IsIgnored(signal))
                    for (int i = 0; i < Scheduler.ThreadCount; i++) Scheduler.ThreadAt(i).PendingSignals &= ~SignalNumbers.Bit(signal);
            }
            if (call.Arg2 != 0) *(SignalAction*)call.Arg2 = old;
            return 0;
        }

        // rt_sigprocmask(how, set, oldset, sigsetsize)
        public static long rt_sigprocmask(SyscallFrame call)
        {
            if (call.Arg3 != SigsetSize) return -Errno.EINVAL;
            Thread current = Scheduler.Current;
            if (call.Arg2 != 0)
            {
                if (!UserMemory.IsWritableUserRange(call.Arg2, SigsetSize)) return -Errno.EFAULT;
            }
            ulong old = current.SignalMask;
            if (call.Arg1 != 0)
            {
                if (!UserMemory.IsUserRange(call.Arg1, SigsetSize)) return -Errno.EFAULT;
                ulong set = *(ulong*)call.Arg1;
                switch ((int)call.Arg0)
                {
                    case SigBlock: current.SignalMask |= set; break;
                    case SigUnblock: current.SignalMask &= ~set; break;
                    case SigSetMask: current.SignalMask = set; break;
                    default: return -Errno.EINVAL;
                }
                current.SignalMask &= ~SignalNumbers.Unblockable;
            }
            if (call.Arg2 != 0) *(ulong*)call.Arg2 = old;
            return 0;
        }

        public static long rt_sigpending(SyscallFrame call)
        {
            if (call.Arg1 != SigsetSize) return -Errno.EINVAL;
            if (!UserMemory.IsWritableUserRange(call.Arg0, SigsetSize)) return -Errno.EFAULT;
            *(ulong*)call.Arg0 = Scheduler.Current.PendingSignals;
            return 0;
        }

        public static long rt_sigreturn(SyscallFrame call)
        {
            Thread current = Scheduler.Current;
            if (!SignalDelivery.Return(current))
            {
                // Linux's bad frame: the call returns 0 and SIGSEGV is forced on the unchanged registers.
                call.Frame->Rax = 0;
                SignalInfo info = default;
                info.Number = SignalNumbers.SIGSEGV;
                info.Code = SignalInfo.CodeKernel;
                SignalState.Force(current, SignalNumbers.SIGSEGV, &info);
            }
            return Scheduler.NoResult;   // every register, rax included, comes from the signal frame
        }

        // pause(): sleeps until a signal runs a handler or ends the app; always -EINTR (never restarted).
        public static long pause(SyscallFrame call)
        {
            Thread current = Scheduler.Current;
            if (current == null || (current.PendingSignals & ~current.SignalMask) != 0) return -Errno.EINTR;
            return WaitForSignal(current, restart: false, deadline: 0, timeoutResult: 0);
        }

        // rt_sigsuspend(mask, sigsetsize): pause under a temporary mask; the handler's context (or the
        // return, if no handler runs) puts the caller's mask back.
        public static long rt_sigsuspend(SyscallFrame call)
        {
            if (call.Arg1 != SigsetSize) return -Errno.EINVAL;
            ulong mask;
            if (!TryReadSignalSet(call.Arg0, out mask)) return -Errno.EFAULT;
            Thread current = Scheduler.Current;
            if (current == null) return -Errno.EINTR;
            current.SavedSignalMask = current.SignalMask;
            current.MaskRestore = MaskRestore.AfterDelivery;
            current.SignalMask = mask & ~SignalNumbers.Unblockable;
            if ((current.PendingSignals & ~current.SignalMask) != 0) return -Errno.EINTR;
            return WaitForSignal(current, restart: false, deadline: 0, timeoutResult: 0);
        }

        // rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of the set (usually
        // blocked) without running its handler; waits for one until the timeout (-EAGAIN), or until
        // another signal runs a handler (-EINTR). sigwaitinfo and sigtimedwait are this call.
        public static long rt_sigtimedwait(SyscallFrame call)
        {
            if (call.Arg3 != SigsetSize) return -Errno.EINVAL;
            ulong set;
            if (!TryReadSignalSet(call.Arg0, out set)) return -Errno.EFAULT;
            set &= ~SignalNumbers.Unblockable;
            if (call.Arg1 != 0 && !UserMemory.IsWritableUserRange(call.Arg1, SignalInfo.Size)) return -Errno.EFAULT;
            ulong deadline = 0;
            bool poll = false;
            if (call.Arg2 != 0)
            {
                ulong nanoseconds;
                long error;
                if (!UserMemory.TryReadTimespec(call.Arg2, out nanoseconds, out error)) return error;
                poll = nanoseconds == 0;
                deadline = Blocking.DeadlineAfter(nanoseconds);
            }
            Thread current = Scheduler.Current;
            if (current == null) return -Errno.EAGAIN;
            int signal = SignalState.Lowest(current.PendingSignals & set);
            if (signal != 0)
            {
                current.PendingSignals &= ~SignalNumbers.Bit(signal);
                if (call.Arg1 != 0)
                {
                    SignalInfo info = current.PendingInfo != null ? current.PendingInfo[signal] : default;
                    info.Number = signal;
                    *(SignalInfo*)call.Arg1 = info;
                }
                return signal;
            }
            if (poll) return -Errno.EAGAIN;
            // While it waits the set is unblocked (as on Linux), so a signal sent to the process picks this thread.
            current.SavedSignalMask = current.SignalMask;
            current.MaskRestore = MaskRestore.BeforeDelivery;
            current.SignalMask &= ~set;
            long parked = WaitForSignal(current, restart: true, deadline: deadline, timeoutResult: -Errno.EAGAIN);
            current.WaitedSignals = set;
            return parked;
        }

        private static long WaitForSignal(Thread current, bool restart, ulong deadline, long timeoutResult)
        {
            long parked = Scheduler.Block(null, restart, deadline, timeoutResult);
            current.EndsOnSignal = true;
            return parked;
        }

        private static bool TryReadSignalSet(ulong address, out ulong set)
        {
            set = 0;
            if (!UserMemory.IsUserRange(address, SigsetSize)) return false;
            set = *(ulong*)address;
            return true;
        }

        // sigaltstack(new, old): stack_t { sp, int flags, size }
        public static long sigaltstack(SyscallFrame call)
        {
            Thread current = Scheduler.Current;
            bool onIt = current.AlternateStackSize != 0 && call.Frame->Rsp - current.AlternateStack < current.AlternateStackSize;
            if (call.Arg1 != 0)
            {
                if (!UserMemory.IsWritableUserRange(call.Arg1, 24)) return -Errno.EFAULT;
                ulong* old = (ulong*)call.Arg1;
                old[0] = current.AlternateStack;
                old[1] = (ulong)(uint)(current.AlternateStackSize == 0 ? SsDisable : onIt ? SsOnStack : 0);
                old[2] = current.AlternateStackSize;
            }
            if (call.Arg0 != 0)
            {
                if (!UserMemory.IsUserRange(call.Arg0, 24)) return -Errno.EFAULT;
                ulong* stack = (ulong*)call.Arg0;
                return SignalState.SetAlternateStack(current, stack[0], (int)stack[1], stack[2], call.Frame->Rsp);
            }
            return 0;
        }

        // kill(pid, signal): only this process exists.
        public static long kill(SyscallFrame call)
        {
            long pid = (long)call.Arg0;
            int signal = (int)call.Arg1;
            if (pid != ProcessSyscalls.ProcessId && pid != 0 && pid != -1) return -Errno.ESRCH;
            if (signal == 0) return 0;
            if (!SignalState.IsValid(signal)) return -Errno.EINVAL;
            SignalInfo info = UserSender(signal, SignalInfo.CodeUser);
            SignalState.SendToProcess(signal, &info);
            return 0;
        }

        // tgkill(tgid, tid, signal): how the runtime suspends a thread for the GC (SIGRTMIN) and how abort() ends.
        public static long tgkill(SyscallFrame call)
        {
            if ((long)call.Arg0 != ProcessSyscalls.ProcessId) return -Errno.ESRCH;
            return SendToThread((int)call.Arg1, (int)call.Arg2);
        }

        public static long tkill(SyscallFrame call) => SendToThread((int)call.Arg0, (int)call.Arg1);

        private static long SendToThread(int tid, int signal)
        {
            if (tid <= 0 || (signal != 0 && !SignalState.IsValid(signal))) return -Errno.EINVAL;
            Thread target = Scheduler.Find(tid);
            if (target == null) return -Errno.ESRCH;
            if (signal == 0) return 0;
            SignalInfo info = UserSender(signal, SignalInfo.CodeTkill);
            SignalState.SendToThread(target, signal, &info);
            return 0;
        }

        private static SignalInfo UserSender(int signal, int code)
        {
            SignalInfo info = default;
            info.Number = signal;
            info.Code = code;
            info.Field0 = (ulong)ProcessSyscalls.ProcessId;   // si_pid = us, si_uid = 0
            return info;
        }
    }
}
