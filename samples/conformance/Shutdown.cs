// `sigterm`: how an app that handles SIGTERM itself stops (what the machine's power button becomes in the unikernel).
using System.Runtime.InteropServices;

namespace Conformance;

public static class Shutdown
{
    /// <summary>
    /// Waits for SIGTERM (PosixSignalRegistration, cancelled so the runtime does not end the process itself), then
    /// returns <paramref name="status"/>; with <paramref name="ignore"/> it says so and keeps waiting, as an app that
    /// never stops would (the unikernel's grace period then powers the machine off).
    /// </summary>
    public static int Run(int status, bool ignore)
    {
        using var received = new ManualResetEventSlim();
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.WriteLine(ignore ? "sigterm: received SIGTERM, ignoring it" : "sigterm: received SIGTERM");
            received.Set();
        });
        Console.WriteLine(ignore ? "sigterm: waiting for SIGTERM (ignored)" : $"sigterm: waiting for SIGTERM, then exiting with {status}");
        received.Wait();
        if (ignore) Thread.Sleep(Timeout.Infinite);
        Console.WriteLine($"sigterm: exiting with {status}");
        return status;
    }
}
