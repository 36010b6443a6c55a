namespace Kernel.Arch
{
    // SMAP's window (CpuProtection): between Begin and End the kernel may read and write user pages; outside
    // it any such access faults. The window is EFLAGS.AC, which an interrupt does not clear: InterruptDispatcher
    // closes it on every entry (the app may run with AC set, and a handler must not inherit it), and iretq
    // gives the interrupted code its own flag back. Windows do not nest: the kernel runs each entry to
    // completion, and only the system call dispatcher and the code that writes the app's initial stack and
    // signal frames open one. The window is a whole handler rather than each copy: handlers read and write
    // user memory in place after UserMemory's range checks; narrowing it to copy routines is future work.
    internal static class UserAccess
    {
        public static void Begin()
        {
            if (CpuProtection.Smap) Cpu.SetAlignmentCheck();
        }

        public static void End()
        {
            if (CpuProtection.Smap) Cpu.ClearAlignmentCheck();
        }
    }
}
