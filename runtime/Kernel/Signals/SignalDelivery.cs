using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.Signals
{
    // Running a signal handler the way Linux x86-64 does, because the .NET runtime reads and rewrites the
    // interrupted context (GC suspension edits the saved rip; NullReferenceException starts from a
    // SIGSEGV's context). On the thread's user stack (or its alternate stack), below the red zone:
    //
    //   rsp ->  return address = sa_restorer (musl's __restore_rt: rt_sigreturn)
    //           ucontext_t: flags, link, stack_t, mcontext (23 gregs, fpregs pointer, 8 reserved), sigmask
    //           siginfo_t (128 bytes)
    //           ...
    //           FXSAVE image (512 bytes, 64-byte aligned) <- mcontext.fpregs
    //
    // with rdi = signal, rsi = &siginfo, rdx = &ucontext, rsp % 16 == 8 as after a call. rt_sigreturn
    // reads it all back, so whatever the handler changed in the context is what the thread resumes.
    internal static unsafe class SignalDelivery
    {
        private const int GeneralRegisterCount = 23;
        private const ulong RedZone = 128;
        private const int FxSaveSize = 512;
        private const int UContextSize = 8 + 8 + 24 + GeneralRegisterCount * 8 + 8 + 64 + 8;   // 304
        private const int SsOnStack = 1, SsDisable = 2;
        private const ulong UserRflagsMask = 0xCD5;   // CF PF AF ZF SF TF DF OF: what a context may change
        private const ulong RflagsInterruptEnable = 0x200, RflagsReserved = 0x2;

        /// <summary>Before a thread returns to ring 3: run the handler of its first deliverable signal, or apply the default action.</summary>
        public static void BeforeReturnToUser(Thread thread)
        {
            while (true)
            {
                ulong deliverable = thread.PendingSignals & ~thread.SignalMask;
                if (deliverable == 0) return;
                int signal = LowestBit(deliverable) + 1;
                thread.PendingSignals &= ~SignalNumbers.Bit(signal);
                SignalInfo info = thread.PendingInfo != null ? thread.PendingInfo[signal] : default;
                SignalAction* action = SignalState.Action(signal);
                if (action->Handler == SignalAction.Ignore) continue;
                if (action->Handler == SignalAction.Default)
                {
                    if (SignalNumbers.DefaultIgnores(signal)) continue;
                    Terminate(signal, &info, thread.Frame);
                }
                if (!PushFrame(thread, signal, &info, action))
                {
                    KernelConsole.Prefix();
                    KernelConsole.Write("cannot write the signal frame for ");
                    KernelConsole.Write(SignalNumbers.Name(signal));
                    KernelConsole.WriteLine(" on the app's stack (stack overflow?)");
                    SignalInfo segv = default;
                    segv.Number = SignalNumbers.SIGSEGV;
                    segv.Code = SignalInfo.CodeKernel;
                    Terminate(SignalNumbers.SIGSEGV, &segv, thread.Frame);
                }
                return;
            }
        }

        /// <summary>rt_sigreturn: the thread resumes the (possibly edited) context of its signal frame.</summary>
        public static bool Return(Thread thread)
        {
            InterruptFrame* frame = thread.Frame;
            ulong context = frame->Rsp;     // the handler's `ret` popped the return address
            if (!UserAddressSpace.IsAccessible(context, UContextSize, false)) return false;
            ulong* gregs = (ulong*)(context + 40);
            frame->R8 = gregs[0]; frame->R9 = gregs[1]; frame->R10 = gregs[2]; frame->R11 = gregs[3];
            frame->R12 = gregs[4]; frame->R13 = gregs[5]; frame->R14 = gregs[6]; frame->R15 = gregs[7];
            frame->Rdi = gregs[8]; frame->Rsi = gregs[9]; frame->Rbp = gregs[10]; frame->Rbx = gregs[11];
            frame->Rdx = gregs[12]; frame->Rax = gregs[13]; frame->Rcx = gregs[14]; frame->Rsp = gregs[15];
            frame->Rip = gregs[16];
            frame->Rflags = (frame->Rflags & ~UserRflagsMask) | (gregs[17] & UserRflagsMask) | RflagsInterruptEnable | RflagsReserved;
            ulong fpregs = gregs[GeneralRegisterCount];
            if (fpregs != 0 && UserAddressSpace.IsAccessible(fpregs, FxSaveSize, false))
            {
                byte* source = (byte*)fpregs;
                for (int i = 0; i < FxSaveSize; i++) frame->FxSave[i] = source[i];
                *(uint*)(frame->FxSave + 24) &= 0xFFFF;   // MXCSR: reserved bits would make fxrstor fault
            }
            thread.SignalMask = *(ulong*)(context + 40 + GeneralRegisterCount * 8 + 8 + 64) & ~SignalNumbers.Unblockable;
            return true;
        }

        /// <summary>The default action of a fatal signal: report it and end the app like Linux (status 128 + signal).</summary>
        public static void Terminate(int signal, SignalInfo* info, InterruptFrame* frame)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("app terminated by ");
            KernelConsole.Write(SignalNumbers.Name(signal));
            KernelConsole.Write(" (signal ");
            KernelConsole.WriteDecimal((ulong)signal);
            KernelConsole.Write(")");
            if (signal == SignalNumbers.SIGSEGV || signal == SignalNumbers.SIGBUS || signal == SignalNumbers.SIGFPE || signal == SignalNumbers.SIGILL)
            {
                KernelConsole.Write(", fault address ");
                KernelConsole.WriteHex(info->Field0);
            }
            KernelConsole.Write(" in thread ");
            KernelConsole.WriteDecimal((ulong)(Scheduler.Current != null ? Scheduler.Current.Id : 0));
            KernelConsole.WriteLine();
            if (info->Code > 0 || signal == SignalNumbers.SIGSEGV) AppFaultReport.WriteRegistersAndStack(frame);
            Process.AppExit.Exit(128 + signal);
        }

        private static bool PushFrame(Thread thread, int signal, SignalInfo* info, SignalAction* action)
        {
            InterruptFrame* frame = thread.Frame;
            ulong sp = frame->Rsp;
            bool onAlternate = thread.AlternateStackSize != 0 && sp - thread.AlternateStack < thread.AlternateStackSize;
            if ((action->Flags & SignalAction.FlagOnStack) != 0 && thread.AlternateStackSize != 0
                && (thread.AlternateStackFlags & SsDisable) == 0 && !onAlternate)
            {
                sp = thread.AlternateStack + thread.AlternateStackSize;
                onAlternate = true;
            }
            else
            {
                sp -= RedZone;
            }
            ulong fpstate = (sp - FxSaveSize) & ~63UL;
            ulong start = ((fpstate - 8 - UContextSize - SignalInfo.Size) & ~15UL) - 8;
            if (!onAlternate) UserAddressSpace.GrowStackTo(start, frame->Rsp);
            if (!UserAddressSpace.IsAccessible(start, sp - start, true)) return false;

            *(ulong*)start = action->Restorer;
            byte* uc = (byte*)(start + 8);
            SignalInfo* userInfo = (SignalInfo*)(uc + UContextSize);
            *userInfo = *info;
            userInfo->Number = signal;

            *(ulong*)uc = 0;                                  // uc_flags
            *(ulong*)(uc + 8) = 0;                            // uc_link
            *(ulong*)(uc + 16) = thread.AlternateStack;       // uc_stack
            *(int*)(uc + 24) = thread.AlternateStackSize == 0 ? SsDisable : onAlternate ? SsOnStack : 0;
            *(int*)(uc + 28) = 0;
            *(ulong*)(uc + 32) = thread.AlternateStackSize;
            ulong* gregs = (ulong*)(uc + 40);
            gregs[0] = frame->R8; gregs[1] = frame->R9; gregs[2] = frame->R10; gregs[3] = frame->R11;
            gregs[4] = frame->R12; gregs[5] = frame->R13; gregs[6] = frame->R14; gregs[7] = frame->R15;
            gregs[8] = frame->Rdi; gregs[9] = frame->Rsi; gregs[10] = frame->Rbp; gregs[11] = frame->Rbx;
            gregs[12] = frame->Rdx; gregs[13] = frame->Rax; gregs[14] = frame->Rcx; gregs[15] = frame->Rsp;
            gregs[16] = frame->Rip; gregs[17] = frame->Rflags;
            gregs[18] = (frame->Cs & 0xFFFF) | ((frame->Ss & 0xFFFF) << 48);
            gregs[19] = frame->Vector < 32 ? frame->ErrorCode : 0;
            gregs[20] = frame->Vector < 32 ? frame->Vector : 0;
            gregs[21] = thread.SignalMask;
            gregs[22] = frame->Vector == 14 ? info->Field0 : 0;
            gregs[GeneralRegisterCount] = fpstate;
            for (int i = 0; i < 8; i++) gregs[GeneralRegisterCount + 1 + i] = 0;
            *(ulong*)(uc + 40 + GeneralRegisterCount * 8 + 8 + 64) = thread.SignalMask;

            byte* fp = (byte*)fpstate;
            for (int i = 0; i < FxSaveSize; i++) fp[i] = frame->FxSave[i];

            thread.SignalMask |= action->Mask;
            if ((action->Flags & SignalAction.FlagNoDefer) == 0) thread.SignalMask |= SignalNumbers.Bit(signal);
            thread.SignalMask &= ~SignalNumbers.Unblockable;
            if ((action->Flags & SignalAction.FlagResetHandler) != 0) action->Handler = SignalAction.Default;

            frame->Rsp = start;
            frame->Rip = action->Handler;
            frame->Rdi = (ulong)signal;
            frame->Rsi = (ulong)userInfo;
            frame->Rdx = (ulong)uc;
            frame->Rax = 0;
            frame->Rflags &= ~(1UL << 10 | 1UL << 8);        // DF and TF clear in the handler, as on Linux
            frame->Vector = InterruptDispatcher.SyscallVector; // the frame no longer describes a fault
            return true;
        }

        private static int LowestBit(ulong value)
        {
            int n = 0;
            while ((value & 1) == 0) { value >>= 1; n++; }
            return n;
        }
    }
}
