using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.LinuxAbi;
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
        private const int GeneralRegisterCount = SignalFrameLayout.GeneralRegisterCount;
        private const ulong RedZone = 128;
        private const int FxSaveSize = SignalFrameLayout.FxSaveSize;
        private const int UContextSize = SignalFrameLayout.UContextSize;
        private const int UcStackOffset = 16, MContextOffset = 40;
        private const int FpRegsOffset = MContextOffset + GeneralRegisterCount * 8;
        private const int SignalMaskOffset = FpRegsOffset + 8 + 64;
        private const int RipIndex = 16, RspIndex = 15, RflagsIndex = 17;
        private const int FrameCapacity = SignalFrameLayout.Capacity;
        private const int SsOnStack = 1, SsDisable = 2;
        private const ulong MxcsrValidBits = 0xFFFF;   // reserved MXCSR bits would make fxrstor fault in the kernel

        /// <summary>
        /// The end of every way back to ring 3 (Scheduler.Leave): deliver the thread's signals, then check
        /// the frame iretq will take (UserFrame). A frame that cannot be resumed -- non-canonical rip or rsp,
        /// from rt_sigreturn, a handler address, a clone stack -- raises SIGSEGV as Linux's failed iret does,
        /// and the check runs again on what that leaves: a handler's frame, or the end of the app. A second
        /// bad frame means the SIGSEGV handler cannot be entered either: the app ends with SIGSEGV, as on
        /// Linux (where SIGSEGV is then blocked by its own delivery, so forcing it kills; with SA_NODEFER
        /// Linux would loop for ever, which here, with interrupts off, would stop the machine).
        /// </summary>
        public static void PrepareReturnToUser(Thread thread)
        {
            for (int attempt = 0; ; attempt++)
            {
                DeliverSignals(thread);
                InterruptFrame* frame = thread.Frame;
                if (UserFrame.Sanitize(frame)) return;
                frame->Vector = GeneralProtectionVector;   // what the handler's context shows: a #GP, error code 0
                frame->ErrorCode = 0;
                SignalInfo info = default;
                info.Number = SignalNumbers.SIGSEGV;
                info.Code = SignalInfo.CodeKernel;
                if (attempt > 0) Terminate(SignalNumbers.SIGSEGV, &info, frame);
                SignalState.Force(thread, SignalNumbers.SIGSEGV, &info);
            }
        }

        private const ulong GeneralProtectionVector = 13;

        // Run the handler of the thread's first deliverable signal, or apply the default action.
        private static void DeliverSignals(Thread thread)
        {
            if (thread.SleepRemainder != 0) ReportSleepLeft(thread);
            if (thread.MaskRestore == MaskRestore.BeforeDelivery) RestoreWaitMask(thread);
            while (true)
            {
                ulong deliverable = thread.PendingSignals & ~thread.SignalMask;
                if (deliverable == 0) break;
                int signal = SignalState.Lowest(deliverable);
                thread.PendingSignals &= ~SignalNumbers.Bit(signal);
                SignalInfo info = thread.PendingInfo != null ? thread.PendingInfo[signal] : default;
                SignalAction* action = SignalState.Action(signal);
                if (action->Handler == SignalAction.Ignore) continue;
                if (action->Handler == SignalAction.Default)
                {
                    if (SignalNumbers.DefaultIgnores(signal)) continue;
                    Terminate(signal, &info, thread.Frame);
                }
                if (PushFrame(thread, signal, &info, action)) return;
                // Linux's force_sigsegv: a frame that does not fit turns into SIGSEGV, which kills when it was
                // SIGSEGV's own frame (stack overflow) and may still run a SIGSEGV handler on an alternate stack.
                if (signal == SignalNumbers.SIGSEGV)
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
                ForceKernelSignal(thread, SignalNumbers.SIGSEGV);
            }
            // No handler ran: a wait's temporary mask ends here (with a handler, its context carries the old one).
            if (thread.MaskRestore != MaskRestore.None) RestoreWaitMask(thread);
        }

        // An interrupted nanosleep's `remaining` timespec; unwritable, the call fails with EFAULT as on Linux.
        private static void ReportSleepLeft(Thread thread)
        {
            ulong* timespec = stackalloc ulong[2];
            timespec[0] = thread.SleepLeft / 1_000_000_000UL;
            timespec[1] = thread.SleepLeft % 1_000_000_000UL;
            if (!WriteToUser(thread.SleepRemainder, (byte*)timespec, 16)) thread.Frame->Rax = unchecked((ulong)-LinuxAbi.Errno.EFAULT);
            thread.SleepRemainder = 0;
        }

        private static void RestoreWaitMask(Thread thread)
        {
            thread.SignalMask = thread.SavedSignalMask;
            thread.MaskRestore = MaskRestore.None;
        }

        private static void ForceKernelSignal(Thread thread, int signal)
        {
            SignalInfo info = default;
            info.Number = signal;
            info.Code = SignalInfo.CodeKernel;
            SignalState.Force(thread, signal, &info);
        }

        /// <summary>
        /// rt_sigreturn: the thread resumes the (possibly edited) context of its signal frame. False when
        /// the frame cannot be read (the caller then does what Linux does: SIGSEGV). Whatever the context
        /// says, the selectors and the privileged flags stay the kernel's, and PrepareReturnToUser refuses
        /// a non-canonical rip or rsp.
        /// </summary>
        public static bool Return(Thread thread)
        {
            InterruptFrame* frame = thread.Frame;
            byte* context = stackalloc byte[UContextSize];
            if (!ReadFromUser(context, frame->Rsp, UContextSize)) return false;   // the handler's `ret` popped the return address
            ulong fpregs = *(ulong*)(context + FpRegsOffset);
            byte* fxsave = stackalloc byte[FxSaveSize];
            if (fpregs != 0 && !ReadFromUser(fxsave, fpregs, FxSaveSize)) return false;

            ulong* gregs = (ulong*)(context + MContextOffset);
            frame->R8 = gregs[0]; frame->R9 = gregs[1]; frame->R10 = gregs[2]; frame->R11 = gregs[3];
            frame->R12 = gregs[4]; frame->R13 = gregs[5]; frame->R14 = gregs[6]; frame->R15 = gregs[7];
            frame->Rdi = gregs[8]; frame->Rsi = gregs[9]; frame->Rbp = gregs[10]; frame->Rbx = gregs[11];
            frame->Rdx = gregs[12]; frame->Rax = gregs[13]; frame->Rcx = gregs[14]; frame->Rsp = gregs[RspIndex];
            frame->Rip = gregs[RipIndex];
            frame->Rflags = UserFrame.RestoredFlags(frame->Rflags, gregs[RflagsIndex]);
            if (fpregs != 0)
            {
                for (int i = 0; i < FxSaveSize; i++) frame->FxSave[i] = fxsave[i];
                *(uint*)(frame->FxSave + 24) &= (uint)MxcsrValidBits;
            }
            thread.SignalMask = *(ulong*)(context + SignalMaskOffset) & ~SignalNumbers.Unblockable;
            // uc_stack too, as Linux's restore_altstack: its errors are ignored (the frame itself was fine).
            SignalState.SetAlternateStack(thread, *(ulong*)(context + UcStackOffset), *(int*)(context + UcStackOffset + 8),
                                          *(ulong*)(context + UcStackOffset + 16), frame->Rsp);
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
            // x86-64 Linux refuses a handler without SA_RESTORER: there is nothing for it to return to.
            if ((action->Flags & SignalAction.FlagRestorer) == 0) return false;
            InterruptFrame* frame = thread.Frame;
            ulong sp = frame->Rsp;
            bool onAlternate = thread.AlternateStackSize != 0 && sp - thread.AlternateStack < thread.AlternateStackSize;
            if ((action->Flags & SignalAction.FlagOnStack) != 0 && thread.AlternateStackSize != 0
                && (thread.AlternateStackFlags & SsDisable) == 0 && !onAlternate)
            {
                if (!SignalFrameLayout.TryAlternateTop(thread.AlternateStack, thread.AlternateStackSize, out sp)) return false;
                onAlternate = true;
            }
            else
            {
                sp -= RedZone;
            }
            ulong start, fpstate;
            if (!SignalFrameLayout.TryPlace(sp, out start, out fpstate)) return false;
            // A frame that would run off the bottom of the alternate stack is refused, as Linux's "overflowed
            // sigaltstack": it would overwrite whatever lies below, and the next one would start at the top again.
            if (onAlternate && start - thread.AlternateStack >= thread.AlternateStackSize) return false;
            if (!onAlternate) UserAddressSpace.GrowStackTo(start, frame->Rsp);

            // The frame is built in kernel memory and copied out in one piece (WriteToUser).
            ulong length = fpstate + FxSaveSize - start;
            byte* image = stackalloc byte[FrameCapacity];
            for (int i = 0; i < FrameCapacity; i++) image[i] = 0;
            *(ulong*)image = action->Restorer;
            byte* uc = image + 8;
            ulong userUc = start + 8;
            SignalInfo* frameInfo = (SignalInfo*)(uc + UContextSize);
            *frameInfo = *info;
            frameInfo->Number = signal;
            ulong userInfo = userUc + UContextSize;

            *(ulong*)(uc + UcStackOffset) = thread.AlternateStack;
            *(int*)(uc + UcStackOffset + 8) = thread.AlternateStackSize == 0 ? SsDisable : onAlternate ? SsOnStack : 0;
            *(ulong*)(uc + UcStackOffset + 16) = thread.AlternateStackSize;
            // rt_sigsuspend's handler runs under its temporary mask; its context restores the caller's.
            ulong savedMask = thread.MaskRestore == MaskRestore.AfterDelivery ? thread.SavedSignalMask : thread.SignalMask;
            thread.MaskRestore = MaskRestore.None;
            ulong* gregs = (ulong*)(uc + MContextOffset);
            gregs[0] = frame->R8; gregs[1] = frame->R9; gregs[2] = frame->R10; gregs[3] = frame->R11;
            gregs[4] = frame->R12; gregs[5] = frame->R13; gregs[6] = frame->R14; gregs[7] = frame->R15;
            gregs[8] = frame->Rdi; gregs[9] = frame->Rsi; gregs[10] = frame->Rbp; gregs[11] = frame->Rbx;
            gregs[12] = frame->Rdx; gregs[13] = frame->Rax; gregs[14] = frame->Rcx; gregs[RspIndex] = frame->Rsp;
            gregs[RipIndex] = frame->Rip; gregs[RflagsIndex] = frame->Rflags;
            gregs[18] = (frame->Cs & 0xFFFF) | ((frame->Ss & 0xFFFF) << 48);
            gregs[19] = frame->Vector < 32 ? frame->ErrorCode : 0;
            gregs[20] = frame->Vector < 32 ? frame->Vector : 0;
            gregs[21] = savedMask;
            gregs[22] = frame->Vector == 14 ? info->Field0 : 0;
            gregs[GeneralRegisterCount] = fpstate;
            *(ulong*)(uc + SignalMaskOffset) = savedMask;
            byte* fp = image + (fpstate - start);
            for (int i = 0; i < FxSaveSize; i++) fp[i] = frame->FxSave[i];

            if (!WriteToUser(start, image, length)) return false;

            thread.SignalMask |= action->Mask;
            if ((action->Flags & SignalAction.FlagNoDefer) == 0) thread.SignalMask |= SignalNumbers.Bit(signal);
            thread.SignalMask &= ~SignalNumbers.Unblockable;
            if ((action->Flags & SignalAction.FlagResetHandler) != 0) action->Handler = SignalAction.Default;

            frame->Rsp = start;
            frame->Rip = action->Handler;
            frame->Rdi = (ulong)signal;
            frame->Rsi = userInfo;
            frame->Rdx = userUc;
            frame->Rax = 0;
            frame->Rflags &= ~(UserFrame.DirectionFlag | UserFrame.TrapFlag);   // as on Linux
            frame->Vector = InterruptDispatcher.SyscallVector; // the frame no longer describes a fault
            return true;
        }

        // The only places signal code touches app memory (one copy each way), so that they can be
        // bracketed for SMAP: the frame written onto the app's stack, and what rt_sigreturn reads back.
        private static bool WriteToUser(ulong destination, byte* source, ulong length)
        {
            if (!UserAddressSpace.IsAccessible(destination, length, true)) return false;
            byte* target = (byte*)destination;
            for (ulong i = 0; i < length; i++) target[i] = source[i];
            return true;
        }

        private static bool ReadFromUser(byte* destination, ulong source, ulong length)
        {
            if (!UserAddressSpace.IsAccessible(source, length, false)) return false;
            byte* from = (byte*)source;
            for (ulong i = 0; i < length; i++) destination[i] = from[i];
            return true;
        }
    }
}
