namespace Kernel.Arch
{
    // The register state the boot stub's interrupt entry saves (docs/boot-abi.md, "Interrupts"),
    // lowest address first. A handler may edit it, or return another frame to resume instead.
    internal unsafe struct InterruptFrame
    {
        public fixed byte FxSave[512];
        public ulong R15, R14, R13, R12, R11, R10, R9, R8, Rbp, Rdi, Rsi, Rdx, Rcx, Rbx, Rax;
        public ulong Vector, ErrorCode;
        public ulong Rip, Cs, Rflags, Rsp, Ss;
    }
}
