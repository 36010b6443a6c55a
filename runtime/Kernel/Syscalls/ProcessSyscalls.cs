using Kernel.Arch;

namespace Kernel.Syscalls
{
    // Process-level system calls. One process per image: its exit is the machine's power-off.
    internal static class ProcessSyscalls
    {
        // exit_group(status); exit(status) of the last thread means the same while there is one thread.
        public static long ExitGroup(SyscallFrame call)
        {
            Machine.Exit((int)(call.Arg0 & 0xFF));
            return 0;
        }
    }
}
