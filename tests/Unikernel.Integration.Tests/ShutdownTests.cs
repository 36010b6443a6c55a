using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A shutdown request from the hypervisor reaches the app as SIGTERM, and the app's exit status reaches the host
/// (runtime/Kernel/Process/ShutdownRequests.cs): QEMU's ACPI power button (QMP system_powerdown) on pc, q35 and microvm,
/// the i8042's Ctrl-Alt-Del (Firecracker's SendCtrlAltDel, sent here with QMP send-key on pc's real i8042), the grace
/// period (uk.shutdown.grace) and a second request. Each is compared with the same executable receiving SIGTERM on
/// Linux: the conformance app's `sigterm` mode (PosixSignalRegistration) and samples/http (the generic host).
/// </summary>
public class ShutdownTests
{
    private static readonly TimeSpan QmpLimit = TimeSpan.FromSeconds(10);
    private const string Conformance = "conformance";

    [Theory]
    [InlineData(MachineKind.Pc, "PM1a status io 0x600, SCI 9")]
    [InlineData(MachineKind.Q35, "PM1a status io 0x600, SCI 9")]
    [InlineData(MachineKind.Microvm, "Generic Event Device 0xfea00000 on GSI 9 edge")]
    public async Task PowerButtonIsSigtermAndTheAppsStatusReachesTheHost(MachineKind machine, string powerButton)
    {
        var linux = await RunOnLinuxUntilSigtermAsync(["sigterm", "42"], "sigterm: waiting");
        Assert.Equal(42, linux.Status);

        using var qmp = new QmpSocket();
        await using var guest = Start(machine, ["sigterm", "42"], [], qmp);
        await guest.WaitForAsync("sigterm: waiting");
        await SendAsync(qmp, guest, "system_powerdown");
        BootResult boot = await guest.Finished;

        Assert.Equal(42, boot.ExitStatus);
        Assert.Equal(linux.Lines, AppImages.AppLines(boot));
        Assert.Contains(boot.KernelLines, l => l.StartsWith("uk: acpi: power button: " + powerButton, StringComparison.Ordinal));
        Assert.Contains("uk: shutdown: the ACPI power button: SIGTERM to the app, powering off in 10 s unless it exits first (uk.shutdown.grace)", boot.KernelLines);
        Assert.Contains("uk: exit status 42", boot.KernelLines);
    }

    [Fact]
    public async Task CtrlAltDeleteOnTheI8042IsSigterm()
    {
        using var qmp = new QmpSocket();
        await using var guest = Start(MachineKind.Pc, ["sigterm", "7"], [], qmp);
        await guest.WaitForAsync("sigterm: waiting");
        await SendAsync(qmp, guest, "send-key", CtrlAltDeleteKeys);
        BootResult boot = await guest.Finished;

        Assert.Equal(7, boot.ExitStatus);
        Assert.Contains(boot.KernelLines, l => l.StartsWith("uk: i8042: Ctrl-Alt-Del is a shutdown request", StringComparison.Ordinal));
        Assert.Contains(boot.KernelLines, l => l.StartsWith("uk: shutdown: Ctrl-Alt-Del on the i8042 keyboard: SIGTERM to the app", StringComparison.Ordinal));
        Assert.Equal(["sigterm: waiting for SIGTERM, then exiting with 7", "sigterm: received SIGTERM", "sigterm: exiting with 7"], AppImages.AppLines(boot));
    }

    [Fact]
    public async Task AnAppThatIgnoresSigtermIsPoweredOffAfterTheGracePeriod()
    {
        using var qmp = new QmpSocket();
        await using var guest = Start(MachineKind.Microvm, ["sigterm", "ignore"], ["uk.shutdown.grace=2"], qmp);
        await guest.WaitForAsync("sigterm: waiting");
        await SendAsync(qmp, guest, "system_powerdown");
        BootResult boot = await guest.Finished;

        Assert.Equal(137, boot.ExitStatus);
        Assert.Contains("sigterm: received SIGTERM, ignoring it", AppImages.AppLines(boot));
        Assert.Contains("uk: shutdown: the app did not exit within 2 s of SIGTERM (the ACPI power button): powering off", boot.KernelLines);
    }

    [Fact]
    public async Task ASecondRequestPowersOffAtOnce()
    {
        using var qmp = new QmpSocket();
        await using var guest = Start(MachineKind.Pc, ["sigterm", "ignore"], [], qmp);
        await guest.WaitForAsync("sigterm: waiting");
        await SendAsync(qmp, guest, "system_powerdown");
        await guest.WaitForAsync("sigterm: received SIGTERM, ignoring it");
        await SendAsync(qmp, guest, "send-key", CtrlAltDeleteKeys);
        BootResult boot = await guest.Finished;

        Assert.True(boot.KernelLines.Contains("uk: shutdown: Ctrl-Alt-Del on the i8042 keyboard: a second request: powering off now, the app has not exited"), boot.Console);
        Assert.Equal(137, boot.ExitStatus);
        Assert.True(boot.WallTime < TimeSpan.FromSeconds(60), $"took {boot.WallTime}");
    }

    /// <summary>
    /// samples/http under the power button: a request in flight (/slow) is answered, the generic host logs its
    /// shutdown, and the exit status is what the same executable returns after SIGTERM on Linux.
    /// </summary>
    [Fact]
    public async Task PowerButtonStopsTheHttpSampleGracefully()
    {
        const string SlowPath = "/slow?ms=4000";
        int linuxPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        int linuxStatus;
        await using (var linux = BackgroundProcess.Start(AppImages.LinuxExecutable("http"), [], [$"ASPNETCORE_URLS=http://127.0.0.1:{linuxPort}"]))
        {
            await linux.WaitForAsync("Now listening on", TimeSpan.FromSeconds(30));
            var (slow, _) = await StartSlowRequestAsync(linuxPort, SlowPath);
            Assert.Equal(0, Kill(linux.Id, 15));
            Assert.Equal("slow: answered after 4000 ms\n", await slow);
            linuxStatus = await linux.WaitForExitAsync(TimeSpan.FromSeconds(30)) ?? -1;
            Assert.Contains("Application is shutting down...", linux.Output);
        }

        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        using var qmp = new QmpSocket();
        string cmdline = KernelCommandLine.Build([], ["ASPNETCORE_URLS=http://0.0.0.0:8080"], []);
        await using var guest = RunningGuest.Start(AppImages.Image("http"), MachineKind.Q35, cmdline,
            new QemuNetwork { HostForwards = [QemuNetwork.Forward("tcp", port, 8080)] }, memory: "512M",
            timeout: TimeSpan.FromSeconds(180), qemuArguments: qmp.Arguments);
        await guest.WaitForAsync("Now listening on: http://0.0.0.0:8080");
        var (guestSlow, sent) = await StartSlowRequestAsync(port, SlowPath);
        await sent;
        await SendAsync(qmp, guest, "system_powerdown");
        Assert.Equal("slow: answered after 4000 ms\n", await guestSlow);
        BootResult boot = await guest.Finished;

        Assert.Equal(linuxStatus, boot.ExitStatus);
        Assert.Contains("Application is shutting down...", boot.AppOutput);
        Assert.Contains("uk: shutdown: the ACPI power button: SIGTERM to the app, powering off in 10 s unless it exits first (uk.shutdown.grace)", boot.KernelLines);
    }

    /// <summary>A QMP command to the guest's QEMU; when it fails, the guest's console says what the guest was doing.</summary>
    private static async Task SendAsync(QmpSocket qmp, RunningGuest guest, string command, string? argumentsJson = null)
    {
        if (await QmpClient.ExecuteAsync(qmp.Path, command, QmpLimit, argumentsJson) is { } failed)
            throw new Xunit.Sdk.XunitException($"{failed}\nthe guest's console:\n{guest.Console}");
    }

    // QEMU's send-key presses the keys in order and releases them after its hold time (100 ms).
    private const string CtrlAltDeleteKeys = """{"keys":[{"type":"qcode","data":"ctrl"},{"type":"qcode","data":"alt"},{"type":"qcode","data":"delete"}]}""";

    private static RunningGuest Start(MachineKind machine, string[] args, string[] kernelOptions, QmpSocket qmp)
        => RunningGuest.Start(AppImages.Image(Conformance), machine, KernelCommandLine.Build(kernelOptions, [], args), null, memory: "256M",
                              timeout: TimeSpan.FromSeconds(120), qemuArguments: qmp.Arguments);

    /// <summary>
    /// GET <paramref name="path"/> on a connection of its own; the second task completes once the request has been
    /// written and the server has had it for a second (a request the server has not read cannot be in flight), the
    /// first with the body.
    /// </summary>
    private static async Task<(Task<string> Body, Task Sent)> StartSlowRequestAsync(int port, string path)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        byte[] request = System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
        await stream.WriteAsync(request);
        async Task<string> ReadBody()
        {
            using (client)
            {
                using var reader = new StreamReader(stream);
                string response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.Matches(@"^HTTP/1\.[01] 200 ", response);   // HTTP/1.0: the body as it is, not chunked
                return response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            }
        }
        return (ReadBody(), Task.Delay(TimeSpan.FromSeconds(1)));
    }

    private static async Task<(List<string> Lines, int Status)> RunOnLinuxUntilSigtermAsync(string[] args, string ready)
    {
        await using var app = BackgroundProcess.Start(AppImages.LinuxExecutable(Conformance), args, []);
        await app.WaitForAsync(ready, TimeSpan.FromSeconds(30));
        Assert.Equal(0, Kill(app.Id, 15));
        int status = await app.WaitForExitAsync(TimeSpan.FromSeconds(30)) ?? -1;
        return (app.Output.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList(), status);
    }

    /// <summary>A QMP socket path for one guest (QEMU listens on it), removed afterwards.</summary>
    private sealed class QmpSocket : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("uk-qmp-").FullName;
        public string Path => System.IO.Path.Combine(_directory, "qmp.sock");
        public IReadOnlyList<string> Arguments => ["-qmp", $"unix:{Path},server=on,wait=off"];
        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
