using Kernel.Console;
using Kernel.LinuxAbi;

namespace Kernel.Process
{
    // The machine's owner asking it to stop -- the ACPI power button (virsh shutdown, QEMU's system_powerdown, a cloud's
    // stop) or Firecracker's Ctrl-Alt-Del -- handled as a service manager stops a Linux service: SIGTERM to the app
    // (ASP.NET Core and the generic host then stop gracefully and Main returns), and the app's own exit powers off with
    // its status (AppExit). The kernel powers off by itself when the app has not exited within the grace period
    // (uk.shutdown.grace=SECONDS, default 10; 0 powers off at once without asking the app) or at a second request,
    // with status 137 (128 + SIGKILL: what a Linux service killed at the end of its stop timeout reports) and a line
    // saying why. Runs in interrupt handlers, which the kernel takes only while the app runs or the CPU idles.
    internal static unsafe class ShutdownRequests
    {
        public const int DefaultGraceSeconds = 10;
        public const int ForcedExitStatus = 128 + SignalNumbers.SIGKILL;

        private static int s_requests;
        private static int s_graceSeconds;
        private static ulong s_deadline;
        private static string s_firstSource;

        /// <summary>Reads uk.shutdown.grace and starts the grace-period check (before the app's first instruction).</summary>
        public static void Initialize()
        {
            s_graceSeconds = Boot.BootCommandLine.NumberOption("uk.shutdown.grace", DefaultGraceSeconds);
            if (s_graceSeconds < 0) s_graceSeconds = DefaultGraceSeconds;
            Threads.Scheduler.DeadlineHook = &CheckGracePeriod;
        }

        /// <summary>A shutdown request from <paramref name="source"/> ("the ACPI power button").</summary>
        public static void Request(string source)
        {
            s_requests++;
            if (s_requests > 1)
            {
                Line("shutdown: ", source, ": a second request: powering off now, the app has not exited");
                AppExit.Exit(ForcedExitStatus);
            }
            s_firstSource = source;
            if (s_graceSeconds == 0)
            {
                Line("shutdown: ", source, ": powering off at once (uk.shutdown.grace=0)");
                AppExit.Exit(ForcedExitStatus);
            }
            s_deadline = Time.Clock.MonotonicNanoseconds + (ulong)s_graceSeconds * 1_000_000_000UL;
            KernelConsole.Prefix();
            KernelConsole.Write("shutdown: ");
            KernelConsole.Write(source);
            KernelConsole.Write(": SIGTERM to the app, powering off in ");
            KernelConsole.WriteDecimal((ulong)s_graceSeconds);
            KernelConsole.WriteLine(" s unless it exits first (uk.shutdown.grace)");
            Signals.SignalState.SendFromOutside(SignalNumbers.SIGTERM);
        }

        private static void CheckGracePeriod(ulong now)
        {
            if (s_deadline == 0 || now < s_deadline) return;
            s_deadline = 0;
            KernelConsole.Prefix();
            KernelConsole.Write("shutdown: the app did not exit within ");
            KernelConsole.WriteDecimal((ulong)s_graceSeconds);
            KernelConsole.Write(" s of SIGTERM (");
            KernelConsole.Write(s_firstSource);
            KernelConsole.WriteLine("): powering off");
            AppExit.Exit(ForcedExitStatus);
        }

        private static void Line(string a, string b, string c)
        {
            KernelConsole.Prefix();
            KernelConsole.Write(a);
            KernelConsole.Write(b);
            KernelConsole.WriteLine(c);
        }
    }
}
