using System.Diagnostics;
using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>A guest booting in the background, whose console the test can wait on while it talks to it.</summary>
internal sealed class RunningGuest : IAsyncDisposable
{
    private readonly StringBuilder _console = new();
    private readonly CancellationTokenSource _stop = new();
    public Task<BootResult> Finished { get; private set; } = null!;

    public string Console { get { lock (_console) return _console.ToString(); } }

    /// <param name="timeout">How long the guest may run in all (default: KernelImages.BootTimeout).</param>
    public static RunningGuest Start(string image, MachineKind machine, string commandLine, QemuNetwork? network, string memory = "128M",
                                     TimeSpan? timeout = null, IReadOnlyList<string>? qemuArguments = null, int cpus = 1)
    {
        var guest = new RunningGuest();
        guest.Finished = KernelImages.BootAsync(image, machine, commandLine, memory: memory, network: network, onOutput: guest.Append,
                                                cancellation: guest._stop.Token, timeout: timeout, qemuArguments: qemuArguments, cpus: cpus);
        return guest;
    }

    private void Append(string text) { lock (_console) _console.Append(text); }

    public async Task WaitForAsync(string text)
    {
        var deadline = Stopwatch.StartNew();
        while (!Console.Contains(text))
        {
            if (Finished.IsCompleted) throw new Xunit.Sdk.XunitException($"the guest stopped before \"{text}\"\n{(await Finished).Console}");
            if (deadline.Elapsed > KernelImages.BootTimeout) throw new Xunit.Sdk.XunitException($"no \"{text}\" on the console\n{Console}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Finished.IsCompleted) _stop.Cancel();
        try { await Finished; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
