using Kernel.Arch;

namespace Kernel.Signals
{
    // The last check before the boot stub's iretq takes a thread back to ring 3. Every value in the frame
    // may have come from the app (rt_sigreturn restores a context the app wrote, a signal handler address
    // becomes rip, clone takes any stack pointer), and on a real CPU iretq to a non-canonical rip faults
    // in the kernel, not in the app (TCG does not model this, so the check must be by construction, not
    // by observation). So: the selectors are always the user ones, rflags keeps only what ring 3 may
    // change (IF always on), and a frame with a non-canonical rip or rsp never leaves the kernel: the app
    // gets the SIGSEGV (SI_KERNEL, si_addr 0, trap 13) Linux gives it after its failed iret
    // (SignalDelivery.PrepareReturnToUser). No hardware access here: the host tests compile this file.
    internal static unsafe class UserFrame
    {
        public const ulong UserCodeSelector = 0x23, UserDataSelector = 0x1B;

        public const ulong CarryFlag = 0x1, ParityFlag = 0x4, AdjustFlag = 0x10, ZeroFlag = 0x40, SignFlag = 0x80;
        public const ulong TrapFlag = 0x100, InterruptFlag = 0x200, DirectionFlag = 0x400, OverflowFlag = 0x800;
        public const ulong ResumeFlag = 0x1_0000, AlignmentCheckFlag = 0x4_0000, IdFlag = 0x20_0000;
        /// <summary>Bit 1 of rflags reads as 1 on every CPU.</summary>
        public const ulong ReservedOneFlag = 0x2;

        /// <summary>What rt_sigreturn takes from the app's context: Linux's FIX_EFLAGS (arithmetic flags, TF, DF, AC, RF).</summary>
        public const ulong RestorableFlags = CarryFlag | ParityFlag | AdjustFlag | ZeroFlag | SignFlag | TrapFlag
                                             | DirectionFlag | OverflowFlag | ResumeFlag | AlignmentCheckFlag;

        /// <summary>
        /// Everything ring 3 can set with popf/iretq of its own: the restorable flags and ID. Never IOPL
        /// (port I/O), NT, VM, VIF or VIP; IF is forced on so the app stays preemptible.
        /// </summary>
        public const ulong UserFlags = RestorableFlags | IdFlag;

        /// <summary>
        /// The highest FS/GS base plus one that arch_prctl and clone's CLONE_SETTLS accept (Linux's
        /// TASK_SIZE_MAX, 128 TiB - 4 KiB; above it they fail with EPERM): writing a non-canonical base
        /// into the MSR would fault in the kernel.
        /// </summary>
        public const ulong SegmentBaseLimit = 0x0000_7FFF_FFFF_F000;

        public static bool IsUserSegmentBase(ulong address) => address < SegmentBaseLimit;

        /// <summary>Canonical for 4-level paging: bits 63..47 all equal.</summary>
        public static bool IsCanonical(ulong address) => (ulong)((long)(address << 16) >> 16) == address;

        /// <summary>rflags after rt_sigreturn: the restorable flags from the context, the rest as the thread had them.</summary>
        public static ulong RestoredFlags(ulong current, ulong fromContext) =>
            (current & ~RestorableFlags) | (fromContext & RestorableFlags);

        /// <summary>
        /// Makes the frame safe for iretq as far as the frame alone decides: user selectors, user flags.
        /// False when rip or rsp is non-canonical, which iretq must never see.
        /// </summary>
        public static bool Sanitize(InterruptFrame* frame)
        {
            frame->Cs = UserCodeSelector;
            frame->Ss = UserDataSelector;
            frame->Rflags = (frame->Rflags & UserFlags) | InterruptFlag | ReservedOneFlag;
            return IsCanonical(frame->Rip) && IsCanonical(frame->Rsp);
        }
    }
}
