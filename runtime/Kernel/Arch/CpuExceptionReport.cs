using Kernel.Console;
using Kernel.Diagnostics;

namespace Kernel.Arch
{
    // A CPU exception in the kernel is always fatal: print what happened, where, the registers and the
    // stack, then power off with the panic status.
    internal static unsafe class CpuExceptionReport
    {
        public static void ReportAndStop(InterruptFrame* frame)
        {
            ulong vector = frame->Vector;
            Panic.Begin();
            KernelConsole.Write("CPU exception ");
            KernelConsole.Write(Mnemonic(vector));
            KernelConsole.Write(" (");
            KernelConsole.Write(Description(vector));
            KernelConsole.Write(", vector ");
            KernelConsole.WriteDecimal(vector);
            KernelConsole.Write(") at ");
            StackTrace.WriteLocation(frame->Rip);
            KernelConsole.WriteLine();

            KernelConsole.Prefix();
            KernelConsole.Write("  error code ");
            KernelConsole.WriteHex(frame->ErrorCode);
            if (vector == 14)
            {
                ulong address = Cpu.ReadCr2();
                KernelConsole.Write(" (");
                KernelConsole.Write((frame->ErrorCode & 1) != 0 ? "protection violation" : "page not present");
                KernelConsole.Write((frame->ErrorCode & 2) != 0 ? ", write" : ", read");
                if ((frame->ErrorCode & 16) != 0) KernelConsole.Write(", instruction fetch");
                KernelConsole.Write((frame->ErrorCode & 4) != 0 ? ", user" : ", kernel");
                KernelConsole.Write("), faulting address ");
                KernelConsole.WriteHex(address);
                if (address < 4096) KernelConsole.Write(" (null pointer)");
                // A kernel access that the page allowed but the CPU refused: SMEP or SMAP caught the kernel.
                if ((frame->ErrorCode & 5) == 1 && Memory.MemoryLayout.IsUserRange(address, 0))
                    KernelConsole.Write((frame->ErrorCode & 16) != 0 ? " (SMEP: kernel code jumped into a user page)"
                                                                      : " (SMAP: the kernel touched a user page outside a UserAccess window)");
            }
            KernelConsole.WriteLine();
            bool fromUserMode = (frame->Cs & 3) == 3;
            if (fromUserMode)
            {
                // Later this becomes a signal to the app (SIGSEGV, SIGFPE, ...); today there is no app
                // runtime to deliver it to, so it stops the machine like a kernel fault.
                KernelConsole.Prefix();
                KernelConsole.WriteLine("  in user mode (ring 3)");
            }
            // Overflowing a kernel stack faults in its guard page; the CPU cannot push the page fault's
            // frame there either, so it raises a double fault on its IST stack with rsp still inside.
            if (StackGuard.Contains(frame->Rsp) || (vector == 14 && StackGuard.Contains(Cpu.ReadCr2())))
            {
                KernelConsole.Prefix();
                KernelConsole.Write("  kernel stack overflow: rsp ");
                KernelConsole.WriteHex(frame->Rsp);
                ulong guard = (vector == 14 && !StackGuard.Contains(frame->Rsp) ? Cpu.ReadCr2() : frame->Rsp) & ~4095UL;
                KernelConsole.Write(guard == StackGuard.BootGuardPage ? " is in the guard page below the boot stack (" : " is in the guard page below a thread's kernel stack (");
                KernelConsole.WriteHex(guard);
                KernelConsole.WriteLine(")");
            }
            WriteRegisters(frame);
            // The kernel's frame-pointer walk means nothing on an app's stack.
            if (fromUserMode) StackTrace.Write(frame->Rip, 0, 0);
            else StackTrace.Write(frame->Rip, frame->Rbp, frame->Rsp);
            Machine.Exit(Machine.PanicExitStatus);
        }

        public static void WriteRegisters(InterruptFrame* f)
        {
            Register("rax", f->Rax); Register("rbx", f->Rbx); Register("rcx", f->Rcx); Register("rdx", f->Rdx); EndLine();
            Register("rsi", f->Rsi); Register("rdi", f->Rdi); Register("rbp", f->Rbp); Register("rsp", f->Rsp); EndLine();
            Register("r8 ", f->R8); Register("r9 ", f->R9); Register("r10", f->R10); Register("r11", f->R11); EndLine();
            Register("r12", f->R12); Register("r13", f->R13); Register("r14", f->R14); Register("r15", f->R15); EndLine();
            Register("rip", f->Rip); Register("rfl", f->Rflags); Register("cs ", f->Cs); Register("ss ", f->Ss); EndLine();
            Register("cr0", Cpu.ReadCr0()); Register("cr2", Cpu.ReadCr2()); Register("cr3", Cpu.ReadCr3()); Register("cr4", Cpu.ReadCr4()); EndLine();
        }

        private static bool s_lineStarted;

        private static void Register(string name, ulong value)
        {
            if (!s_lineStarted) { KernelConsole.Prefix(); KernelConsole.Write(" "); s_lineStarted = true; }
            KernelConsole.Write(" ");
            KernelConsole.Write(name);
            KernelConsole.Write("=");
            KernelConsole.WriteHex(value, 16);
        }

        private static void EndLine() { KernelConsole.WriteLine(); s_lineStarted = false; }

        public static string Mnemonic(ulong vector)
        {
            switch (vector)
            {
                case 0: return "#DE"; case 1: return "#DB"; case 2: return "NMI"; case 3: return "#BP";
                case 4: return "#OF"; case 5: return "#BR"; case 6: return "#UD"; case 7: return "#NM";
                case 8: return "#DF"; case 10: return "#TS"; case 11: return "#NP"; case 12: return "#SS";
                case 13: return "#GP"; case 14: return "#PF"; case 16: return "#MF"; case 17: return "#AC";
                case 18: return "#MC"; case 19: return "#XM"; case 20: return "#VE"; case 21: return "#CP";
                default: return "#??";
            }
        }

        public static string Description(ulong vector)
        {
            switch (vector)
            {
                case 0: return "divide error"; case 1: return "debug"; case 2: return "non-maskable interrupt";
                case 3: return "breakpoint"; case 4: return "overflow"; case 5: return "bound range exceeded";
                case 6: return "invalid opcode"; case 7: return "device not available"; case 8: return "double fault";
                case 10: return "invalid TSS"; case 11: return "segment not present"; case 12: return "stack-segment fault";
                case 13: return "general protection fault"; case 14: return "page fault"; case 16: return "x87 floating-point error";
                case 17: return "alignment check"; case 18: return "machine check"; case 19: return "SIMD floating-point error";
                case 20: return "virtualization exception"; case 21: return "control protection";
                default: return "reserved exception";
            }
        }
    }
}
