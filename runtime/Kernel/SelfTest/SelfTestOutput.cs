#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Time;

namespace Kernel.SelfTest
{
    // How the time, timer and randomness self-tests end: "selftest NAME: ... (ok)" and carry on, or
    // "selftest FAILED: why" and exit with the panic status (interrupts and the APIC timer stopped first).
    internal static class SelfTestOutput
    {
        public static void Pass(string text)
        {
            KernelConsole.Prefix();
            KernelConsole.WriteLine(text);
        }

        public static void Fail(string why)
        {
            Cpu.DisableInterrupts();
            if (LocalApic.IsEnabled) LocalApic.StopTimer();
            KernelConsole.Prefix();
            KernelConsole.Write("selftest FAILED: ");
            KernelConsole.WriteLine(why);
            Machine.Exit(Machine.PanicExitStatus);
        }

        /// <summary>"+0.12%": <paramref name="measured"/> against <paramref name="expected"/>.</summary>
        public static void WritePercent(ulong measured, ulong expected)
        {
            ulong difference = measured >= expected ? measured - expected : expected - measured;
            ulong hundredths = expected == 0 ? 0 : difference * 10000 / expected;
            KernelConsole.Write(measured >= expected ? "+" : "-");
            KernelConsole.WriteDecimal(hundredths / 100);
            KernelConsole.Write(".");
            if (hundredths % 100 < 10) KernelConsole.Write("0");
            KernelConsole.WriteDecimal(hundredths % 100);
            KernelConsole.Write("%");
        }
    }
}
#endif
