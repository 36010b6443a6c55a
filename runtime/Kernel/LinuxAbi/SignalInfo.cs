namespace Kernel.LinuxAbi
{
    // Linux x86-64 siginfo_t (128 bytes). Only the fields our senders fill are named: the first union
    // word is si_addr for faults, and si_pid | si_uid << 32 for kill/tgkill.
    internal unsafe struct SignalInfo
    {
        public const int Size = 128;
        public const int CodeUser = 0, CodeKernel = 0x80, CodeTkill = -6;
        public const int SegvMapError = 1, SegvAccessError = 2, FpeIntegerDivide = 1, IllIllegalOperand = 2, TrapBreakpoint = 1, TrapTrace = 2, BusAddressAlignment = 1;

        public int Number;
        public int Errno;
        public int Code;
        public int Padding;
        public ulong Field0;
        public fixed byte Rest[104];
    }

    // The kernel's struct sigaction for rt_sigaction on x86-64 (32 bytes).
    internal struct SignalAction
    {
        public const ulong Default = 0, Ignore = 1;
        public const ulong FlagSigInfo = 4, FlagOnStack = 0x0800_0000, FlagRestart = 0x1000_0000;
        public const ulong FlagNoDefer = 0x4000_0000, FlagResetHandler = 0x8000_0000, FlagRestorer = 0x0400_0000;

        public ulong Handler;
        public ulong Flags;
        public ulong Restorer;
        public ulong Mask;
    }

    internal static class SignalNumbers
    {
        public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7;
        public const int SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13;
        public const int SIGALRM = 14, SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20;
        public const int SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGWINCH = 28;
        public const int Count = 64;

        public static ulong Bit(int signal) => 1UL << (signal - 1);
        public const ulong Unblockable = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));

        /// <summary>Signals whose default action is to do nothing (job control has no meaning here).</summary>
        public static bool DefaultIgnores(int signal) =>
            signal == SIGCHLD || signal == SIGURG || signal == SIGWINCH || signal == SIGCONT
            || signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU;

        public static string Name(int signal)
        {
            switch (signal)
            {
                case SIGHUP: return "SIGHUP"; case SIGINT: return "SIGINT"; case SIGQUIT: return "SIGQUIT";
                case SIGILL: return "SIGILL"; case SIGTRAP: return "SIGTRAP"; case SIGABRT: return "SIGABRT";
                case SIGBUS: return "SIGBUS"; case SIGFPE: return "SIGFPE"; case SIGKILL: return "SIGKILL";
                case SIGUSR1: return "SIGUSR1"; case SIGSEGV: return "SIGSEGV"; case SIGUSR2: return "SIGUSR2";
                case SIGPIPE: return "SIGPIPE"; case SIGALRM: return "SIGALRM"; case SIGTERM: return "SIGTERM";
                default: return signal >= 32 ? "a real-time signal" : "a signal";
            }
        }
    }
}
