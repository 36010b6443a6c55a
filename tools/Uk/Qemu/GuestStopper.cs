using System.Runtime.InteropServices;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Turns a signal to `uk run` (SIGINT from Ctrl-C, SIGTERM, SIGHUP) into a shutdown request for the guest, as a
/// hypervisor asks a machine to stop: QMP <c>system_powerdown</c> (the ACPI power button), then, if the guest has not
/// stopped after the grace period, QMP <c>quit</c> (QEMU stops at once). A second signal skips the rest of the grace
/// period. If QMP fails, QEMU is killed. `uk run` then exits with the guest's status when the guest ended by itself,
/// else with 128 + the signal's number, as a shell reports a process a signal ended (RunCommand).
/// </summary>
public sealed class GuestStopper : IDisposable
{
    private readonly string _qmpSocket;
    private readonly TimeSpan _grace;
    private readonly Action<string> _note;
    private readonly Action _kill;
    private readonly CancellationTokenSource _graceOver = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _requests;

    /// <param name="kill">The last resort when QMP cannot stop QEMU.</param>
    public GuestStopper(string qmpSocket, TimeSpan grace, Action<string> note, Action kill)
    {
        _qmpSocket = qmpSocket;
        _grace = grace;
        // After SIGHUP the terminal may be gone: a note that cannot be written must not stop the shutdown.
        _note = text => { try { note(text); } catch (IOException) { } };
        _kill = kill;
    }

    /// <summary>The number of the first signal received (SIGINT 2, SIGTERM 15, SIGHUP 1), 0 while none.</summary>
    public int Signal { get; private set; }

    /// <summary>uk stopped QEMU itself (QMP quit or a kill): the guest did not stop within the grace period.</summary>
    public bool StoppedQemu { get; private set; }

    /// <summary>Takes over SIGINT, SIGTERM and SIGHUP for this process until disposed.</summary>
    public void HandleSignals()
    {
        foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1) })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;   // not the runtime's default (exit at once, leaving the guest to its fate)
                Request(number, SignalName(number));
            }));
    }

    /// <summary>A shutdown request; the first starts the grace period, a later one ends it.</summary>
    public void Request(int signal, string name)
    {
        if (Interlocked.Increment(ref _requests) > 1)
        {
            _note($"{name} again: stopping QEMU now");
            _graceOver.Cancel();
            return;
        }
        Signal = signal;
        _ = Task.Run(() => ShutDownAsync(name));
    }

    private async Task ShutDownAsync(string name)
    {
        _note($"{name}: asking the guest to shut down (QMP system_powerdown, the ACPI power button); QEMU is stopped in {_grace.TotalSeconds:0.#} s otherwise");
        if (await QmpClient.ExecuteAsync(_qmpSocket, "system_powerdown", QmpTimeLimit).ConfigureAwait(false) is { } failed)
            _note($"{failed}");
        try { await Task.Delay(_grace, _graceOver.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        if (_disposed) return;
        StoppedQemu = true;
        _note($"the guest did not shut down within {_grace.TotalSeconds:0.#} s of {name}: stopping QEMU (QMP quit)");
        if (await QmpClient.ExecuteAsync(_qmpSocket, "quit", QmpTimeLimit).ConfigureAwait(false) is { } quitFailed)
        {
            _note($"{quitFailed}; killing QEMU");
            _kill();
        }
    }

    private static readonly TimeSpan QmpTimeLimit = TimeSpan.FromSeconds(5);
    private volatile bool _disposed;

    public static string SignalName(int number) => number switch { 1 => "SIGHUP", 2 => "SIGINT", 15 => "SIGTERM", _ => $"signal {number}" };

    public void Dispose()
    {
        _disposed = true;
        foreach (var registration in _registrations) registration.Dispose();
        _graceOver.Cancel();
        _graceOver.Dispose();
    }
}
