using Kernel.Console;

namespace Kernel.Process
{
    // How long the app took to say something and to finish, in TSC ticks from the boot stub's first
    // instruction: under QEMU's -icount shift=0 a tick is one guest instruction, so these are the exact,
    // noise-free start-up figures the benchmarks record (docs/benchmarks.md).
    internal static class AppTiming
    {
        private static ulong s_entryTsc;
        private static ulong s_startTsc;
        private static ulong s_firstOutputTsc;
        private static bool s_reportFirstOutput;

        /// <summary>uk.report.first-output=1: a line at the app's first output too, for apps that never exit (a
        /// server's start-up figure in the benchmarks).</summary>
        public const string FirstOutputOption = "uk.report.first-output";

        public static void Started(ulong entryTsc)
        {
            s_entryTsc = entryTsc;
            s_reportFirstOutput = Boot.BootCommandLine.OptionEquals(FirstOutputOption, "1");
            s_startTsc = Arch.Cpu.ReadTimeStampCounter();
        }

        /// <summary>The app wrote to its console (the first call counts).</summary>
        public static void NoteOutput()
        {
            if (s_firstOutputTsc != 0 || s_startTsc == 0) return;
            s_firstOutputTsc = Arch.Cpu.ReadTimeStampCounter();
            if (!s_reportFirstOutput) return;
            KernelConsole.Prefix();
            KernelConsole.Write("app first output at tsc ");
            KernelConsole.WriteDecimal(s_firstOutputTsc - s_entryTsc);
            KernelConsole.WriteLine(" since boot stub entry");
        }

        /// <summary>Machine.Exit's hook: one line with the app's start-up figures, one with where the RAM went.</summary>
        public static void Report()
        {
            if (s_startTsc == 0) return;
            ulong now = Arch.Cpu.ReadTimeStampCounter();
            KernelConsole.Prefix();
            KernelConsole.Write("app timing (tsc ticks since boot stub entry): started ");
            KernelConsole.WriteDecimal(s_startTsc - s_entryTsc);
            KernelConsole.Write(", first output ");
            if (s_firstOutputTsc != 0) KernelConsole.WriteDecimal(s_firstOutputTsc - s_entryTsc); else KernelConsole.Write("none");
            KernelConsole.Write(", exit ");
            KernelConsole.WriteDecimal(now - s_entryTsc);
            KernelConsole.WriteLine();
            Memory.MemoryReport.WriteAtExit();
        }
    }
}
