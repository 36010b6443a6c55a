using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Syscalls
{
    // The one table of the kernel's boundary: Linux x86-64 system call numbers to handlers, one file
    // per family. An unknown number returns -ENOSYS and is reported once, so a missing call shows up on
    // the console instead of as mysterious app behaviour.
    internal static unsafe class SyscallTable
    {
        public const ulong Write = 1;
        public const ulong Exit = 60;
        public const ulong Gettimeofday = 96;
        public const ulong Time = 201;
        public const ulong ClockGettime = 228;
        public const ulong ClockGetres = 229;
        public const ulong ExitGroup = 231;
        public const ulong Getrandom = 318;
        private const int Size = 512;

        private struct ReportedSet { public fixed bool Numbers[Size]; }
        private static ReportedSet s_reported;

        public static void Dispatch(InterruptFrame* frame)
        {
            var call = new SyscallFrame(frame);
            long result;
            switch (call.Number)
            {
                case Write: result = FileSyscalls.Write(call); break;
                case Exit:
                case ExitGroup: result = ProcessSyscalls.ExitGroup(call); break;
                case Gettimeofday: result = TimeSyscalls.Gettimeofday(call); break;
                case Time: result = TimeSyscalls.Time(call); break;
                case ClockGettime: result = TimeSyscalls.ClockGettime(call); break;
                case ClockGetres: result = TimeSyscalls.ClockGetres(call); break;
                case Getrandom: result = RandomSyscalls.GetRandom(call); break;
                default: result = Unknown(call.Number); break;
            }
            frame->Rax = (ulong)result;
        }

        private static long Unknown(ulong number)
        {
            bool first;
            fixed (ReportedSet* reported = &s_reported)
            {
                first = number < Size && !reported->Numbers[number];
                if (first) reported->Numbers[number] = true;
            }
            if (first)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("unimplemented system call ");
                KernelConsole.WriteDecimal(number);
                KernelConsole.WriteLine(" (returns -ENOSYS)");
            }
            return -Errno.ENOSYS;
        }
    }
}
