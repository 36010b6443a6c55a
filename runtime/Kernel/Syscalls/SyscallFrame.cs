using Kernel.Arch;

namespace Kernel.Syscalls
{
    // A system call as the Linux x86-64 ABI passes it, read from the frame the syscall entry built:
    // number in rax, arguments in rdi, rsi, rdx, r10, r8, r9; the result goes back in rax
    // (-errno on failure).
    internal unsafe struct SyscallFrame
    {
        private readonly InterruptFrame* _frame;
        public SyscallFrame(InterruptFrame* frame) { _frame = frame; }

        public InterruptFrame* Frame => _frame;
        public ulong Number => _frame->Rax;
        public ulong Arg0 => _frame->Rdi;
        public ulong Arg1 => _frame->Rsi;
        public ulong Arg2 => _frame->Rdx;
        public ulong Arg3 => _frame->R10;
        public ulong Arg4 => _frame->R8;
        public ulong Arg5 => _frame->R9;

        public ulong Argument(int index)
        {
            switch (index)
            {
                case 0: return Arg0; case 1: return Arg1; case 2: return Arg2;
                case 3: return Arg3; case 4: return Arg4; default: return Arg5;
            }
        }
    }
}
