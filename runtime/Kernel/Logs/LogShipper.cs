using Kernel.Boot;
using Kernel.Console;
using Kernel.Net;

namespace Kernel.Logs
{
    // Central logs: the app's stdout and stderr and the kernel's console lines, shipped line by line to a syslog
    // collector (uk.log.syslog=udp://A:P or tcp://A:P) and/or an OTLP/HTTP one (uk.log.otlp=http://A:P[/path]), while
    // the console keeps showing everything as before (docs/logs.md).
    //
    // How it is driven: LogTap copies lines into LogBuffer (never waiting, never sending); Pump, called from the
    // network stack's poll (every timer tick and before the idle CPU halts, interrupts off, never re-entered), hands
    // buffered records to the sinks. A kernel line printed while pumping (a collector gone, say) only lands in the
    // buffer, so the network code's own messages cannot recurse. At the app's end AppExit calls FlushBeforePowerOff
    // once: partial lines are completed and the stack is polled until every sink has delivered, or
    // uk.log.flush-wait= seconds (default 5) have passed.
    internal static unsafe class LogShipper
    {
        public const string SyslogOption = "uk.log.syslog", OtlpOption = "uk.log.otlp";
        public const string BufferOption = "uk.log.buffer", FlushWaitOption = "uk.log.flush-wait";
        public const int DefaultBufferKiB = 256, SmallestBufferKiB = 16, LargestBufferKiB = 65536;
        private const int DefaultFlushWaitSeconds = 5;

        private static SyslogSink s_syslog;
        private static OtlpSink s_otlp;
        private static bool s_enabled, s_pumping, s_flushing;

        public static bool Enabled => s_enabled;

        /// <summary>
        /// Reads the options and starts taking lines (boot, right after the clock and before the boot report, so the
        /// report is shipped too). Says nothing yet: Report does, in the boot report's place.
        /// </summary>
        public static void Configure(BootInfo* boot)
        {
            s_hasSyslog = Option(SyslogOption, out s_syslogTarget, LogTarget.Udp, LogTarget.Tcp, out s_syslogProblem);
            s_hasOtlp = Option(OtlpOption, out s_otlpTarget, LogTarget.Http, LogTarget.Http, out s_otlpProblem);
            if (!s_hasSyslog && !s_hasOtlp) return;

            s_bufferKiB = BootCommandLine.NumberOption(BufferOption, DefaultBufferKiB);
            if (s_bufferKiB < SmallestBufferKiB || s_bufferKiB > LargestBufferKiB) { s_badBufferKiB = s_bufferKiB; s_bufferKiB = DefaultBufferKiB; }
            if (!LogBuffer.Initialize(s_bufferKiB * 1024)) { s_memoryProblem = true; return; }
            if (s_hasSyslog) s_syslog = new SyslogSink(s_syslogTarget, s_syslogTarget.Scheme == LogTarget.Tcp ? "syslog tcp" : "syslog udp");
            if (s_hasOtlp) s_otlp = new OtlpSink(s_otlpTarget, "otlp");
            if ((s_syslog != null && !s_syslog.IsValid) || (s_otlp != null && !s_otlp.IsValid)) { s_memoryProblem = true; return; }
            LogIdentity.Capture(boot);
            s_enabled = true;
            LogTap.Enabled = true;
        }

        /// <summary>The boot report's "uk: log: ..." lines: where lines go, or why an option was not taken.</summary>
        public static void Report()
        {
            ReportProblem(SyslogOption, s_syslogProblem);
            ReportProblem(OtlpOption, s_otlpProblem);
            if (!s_hasSyslog && !s_hasOtlp) return;
            if (s_memoryProblem) { Say("no memory for the log buffer; not shipping\n"); return; }
            if (s_badBufferKiB != 0)
            {
                Say("uk.log.buffer=");
                KernelConsole.WriteSigned(s_badBufferKiB);
                KernelConsole.Write(" is outside 16-65536 (KiB); using the default");
                KernelConsole.WriteLine();
            }
            Say("shipping to");
            if (s_hasSyslog) { KernelConsole.Write(s_syslogTarget.Scheme == LogTarget.Tcp ? " syslog tcp " : " syslog udp "); WriteAddress(s_syslogTarget); }
            if (s_hasOtlp) { KernelConsole.Write(" otlp http "); WriteAddress(s_otlpTarget); }
            KernelConsole.Write(", buffer ");
            KernelConsole.WriteDecimal((ulong)s_bufferKiB);
            KernelConsole.WriteLine(" KiB");
        }

        private static bool s_hasSyslog, s_hasOtlp, s_memoryProblem;
        private static LogTarget s_syslogTarget, s_otlpTarget;
        private static string s_syslogProblem, s_otlpProblem;
        private static int s_bufferKiB, s_badBufferKiB;

        private static bool Option(string name, out LogTarget target, int scheme, int otherScheme, out string problem)
        {
            target = default;
            problem = null;
            byte* text = BootCommandLine.Option(name, out int length);
            if (text == null) return false;
            problem = LogTarget.Parse(text, length, out target);
            if (problem == null && target.Scheme != scheme && target.Scheme != otherScheme)
                problem = scheme == LogTarget.Http ? "it takes http://ADDRESS:PORT[/path]" : "it takes udp:// or tcp://";
            return problem == null;
        }

        private static void ReportProblem(string name, string problem)
        {
            if (problem == null) return;
            Say(name);
            KernelConsole.Write(": ");
            KernelConsole.Write(problem);
            KernelConsole.WriteLine("; not shipping there");
        }

        /// <summary>The network stack's poll: hand what is buffered to the sinks.</summary>
        public static void Pump()
        {
            if (!s_enabled || s_pumping || !NetworkStack.IsUp || !LogIdentity.HasInstance) return;
            s_pumping = true;
            ulong now = Time.Clock.MonotonicNanoseconds;
            if (s_syslog != null) s_syslog.Pump(now);
            if (s_otlp != null) s_otlp.Pump(now, s_flushing);
            LogBuffer.ReportDrops(Time.Clock.RealtimeNanoseconds);
            s_pumping = false;
        }

        /// <summary>The oldest buffered position some sink still needs (LogBuffer may discard what lies before).</summary>
        public static ulong OldestWanted
        {
            get
            {
                ulong oldest = LogBuffer.End;
                if (s_syslog != null && s_syslog.Oldest < oldest) oldest = s_syslog.Oldest;
                if (s_otlp != null && s_otlp.Oldest < oldest) oldest = s_otlp.Oldest;
                return oldest;
            }
        }

        /// <summary>The oldest position some sink cannot do without (not yet delivered).</summary>
        public static ulong OldestNeeded
        {
            get
            {
                ulong oldest = LogBuffer.End;
                if (s_syslog != null && s_syslog.Needed < oldest) oldest = s_syslog.Needed;
                if (s_otlp != null && s_otlp.Oldest < oldest) oldest = s_otlp.Oldest;
                return oldest;
            }
        }

        /// <summary>LogBuffer gave up what lies before <paramref name="position"/> (delivered, but wanted for resending).</summary>
        public static void Discarded(ulong position)
        {
            if (s_syslog != null) s_syslog.Forget(position);
        }

        private static bool Delivered => (s_syslog == null || s_syslog.Done) && (s_otlp == null || s_otlp.Done) && !LogBuffer.HasUnreportedDrops;

        /// <summary>
        /// The app has ended (AppExit, before the network's own last delivery): complete the partial lines, ship all that is
        /// buffered for at most uk.log.flush-wait= seconds, then report on the console what was shipped and what was not.
        /// </summary>
        public static void FlushBeforePowerOff(int status)
        {
            if (!s_enabled) return;
            Say("the app exited with status ");
            KernelConsole.WriteDecimal((ulong)(uint)status);
            KernelConsole.WriteLine();
            LogTap.FlushPartialLines();
            s_flushing = true;
            ulong seconds = (ulong)BootCommandLine.NumberOption(FlushWaitOption, DefaultFlushWaitSeconds);
            ulong deadline = Time.Clock.MonotonicNanoseconds + seconds * 1_000_000_000;
            NetworkStack.Poll();
            while (!Delivered && NetworkStack.IsUp && Time.Clock.MonotonicNanoseconds < deadline)
            {
                Arch.Cpu.WaitForInterrupt();   // the card's interrupt or the next timer tick
                NetworkStack.Poll();
            }
            LogTap.Enabled = false;   // what follows is for the console only: nothing would ship it
            s_enabled = false;
            Say("shipped");
            if (s_syslog != null) { KernelConsole.Write(" syslog "); KernelConsole.WriteDecimal(s_syslog.Shipped); }
            if (s_syslog != null && s_syslog.Resent > 0) { KernelConsole.Write(" (and "); KernelConsole.WriteDecimal(s_syslog.Resent); KernelConsole.Write(" again after reconnects)"); }
            if (s_otlp != null) { KernelConsole.Write(" otlp "); KernelConsole.WriteDecimal(s_otlp.Shipped); }
            KernelConsole.Write(" of ");
            KernelConsole.WriteDecimal(LogBuffer.Appended);
            KernelConsole.Write(" lines; ");
            KernelConsole.WriteDecimal(LogBuffer.Dropped);
            KernelConsole.Write(" dropped because the buffer was full");
            if (s_otlp != null && s_otlp.Rejected > 0) { KernelConsole.Write(", "); KernelConsole.WriteDecimal(s_otlp.Rejected); KernelConsole.Write(" refused by the otlp collector"); }
            if (!Delivered) KernelConsole.Write(", the rest undelivered after uk.log.flush-wait");
            KernelConsole.WriteLine();
        }

        private static void Say(string text)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("log: ");
            KernelConsole.Write(text);
        }

        private static void WriteAddress(LogTarget target)
        {
            NetBytes.WriteAddress(target.Address);
            KernelConsole.Write(":");
            KernelConsole.WriteDecimal(target.Port);
            for (int i = 0; i < target.PathLength; i++) KernelConsole.Write((char)target.Path[i]);
        }
    }
}
