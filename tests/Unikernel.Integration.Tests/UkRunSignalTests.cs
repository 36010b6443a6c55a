using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Unikernel.Integration.Tests;

/// <summary>
/// `uk run` never leaves a guest behind. Ctrl-C (SIGINT), SIGTERM and SIGHUP become a shutdown request (QMP
/// system_powerdown), which the kernel turns into SIGTERM for the app: samples/http stops gracefully and uk exits with
/// its status. When the guest has not stopped after --stop-timeout (an app that ignores SIGTERM, the kernel's own grace
/// period longer), uk stops QEMU (QMP quit) and exits with 128 + the signal's number, as a shell reports it. SIGKILL,
/// which uk cannot catch, still takes QEMU with it (PDEATHSIG). Each case has a forwarded port: afterwards QEMU is gone
/// and the port is free within seconds.
/// </summary>
public class UkRunSignalTests
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan GoneLimit = TimeSpan.FromSeconds(5);
    private const int StopTimeoutSeconds = 2;

    [Theory]
    [InlineData(15, "SIGTERM")]
    [InlineData(2, "SIGINT")]
    [InlineData(1, "SIGHUP")]
    public async Task ASignalStopsTheGuestAndUkExitsWith128PlusTheSignal(int signal, string name)
    {
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        await using var uk = await StartIgnoringSigtermAsync(port);
        int qemu = QemuOf(uk.Id);

        Assert.Equal(0, Kill(uk.Id, signal));
        int? status = await uk.WaitForExitAsync(TimeSpan.FromSeconds(StopTimeoutSeconds + 15));

        Assert.True(status == 128 + signal, $"status {status}\n{uk.Output}");
        Assert.Contains($"uk: {name}: asking the guest to shut down (QMP system_powerdown", uk.Output);
        Assert.Contains($"uk: the guest did not shut down within {StopTimeoutSeconds} s of {name}: stopping QEMU (QMP quit)", uk.Output);
        await AssertGoneAsync(qemu, port, uk);
    }

    [Fact]
    public async Task SigtermToUkStopsTheHttpAppGracefullyWithItsStatus()
    {
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        await using var uk = await StartAsync(port, stopTimeoutSeconds: 60);
        int qemu = QemuOf(uk.Id);

        Assert.Equal(0, Kill(uk.Id, 15));
        int? status = await uk.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(status == 0, $"status {status}\n{uk.Output}");   // what the generic host returns after SIGTERM (ShutdownTests: as on Linux)
        Assert.Contains("uk: SIGTERM: asking the guest to shut down (QMP system_powerdown", uk.Output);
        Assert.Contains("uk: shutdown: the ACPI power button: SIGTERM to the app", uk.Output);
        Assert.Contains("Application is shutting down...", uk.Output);
        Assert.DoesNotContain("did not shut down", uk.Output);
        await AssertGoneAsync(qemu, port, uk);
    }

    [Fact]
    public async Task SigkillOfUkTakesQemuWithIt()
    {
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        await using var uk = await StartAsync(port);
        int qemu = QemuOf(uk.Id);

        Assert.Equal(0, Kill(uk.Id, 9));
        Assert.Equal(137, await uk.WaitForExitAsync(GoneLimit));
        await AssertGoneAsync(qemu, port, uk);
    }

    private static async Task<BackgroundProcess> StartAsync(int port, int stopTimeoutSeconds = StopTimeoutSeconds)
    {
        var uk = BackgroundProcess.Uk(["run", AppImages.Image("http"), "--accel", "tcg", "-m", "512M", "-p", $"{port}:8080",
                                       "-e", "ASPNETCORE_URLS=http://0.0.0.0:8080", "--stop-timeout", stopTimeoutSeconds.ToString()]);
        await uk.WaitForAsync("Now listening on: http://0.0.0.0:8080", BootLimit);
        return uk;
    }

    // The conformance app's `sigterm ignore` mode, with a kernel grace period longer than uk's --stop-timeout: uk's own
    // deadline is what ends it.
    private static async Task<BackgroundProcess> StartIgnoringSigtermAsync(int port)
    {
        var uk = BackgroundProcess.Uk(["run", AppImages.Image("conformance"), "--accel", "tcg", "-m", "256M", "-p", $"{port}:8080",
                                       "-k", "uk.shutdown.grace=60", "--stop-timeout", StopTimeoutSeconds.ToString(), "--", "sigterm", "ignore"]);
        await uk.WaitForAsync("sigterm: waiting for SIGTERM (ignored)", BootLimit);
        return uk;
    }

    /// <summary>uk's one child: QEMU (setpriv and setsid exec it in place, so it keeps their pid).</summary>
    private static int QemuOf(int uk)
    {
        var children = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit))
            .Select(int.Parse).Where(pid => ParentOf(pid) == uk).ToList();
        int qemu = Assert.Single(children);
        Assert.StartsWith("qemu-system", File.ReadAllText($"/proc/{qemu}/comm"));
        return qemu;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return -1; }
    }

    /// <summary>
    /// QEMU has ended (gone, or a zombie) and the forwarded port binds again, each within <see cref="GoneLimit"/>. The port
    /// is tried until then: a killed process's main thread turns zombie while its other threads are still exiting, and
    /// the sockets close only when the last of them lets go of the file table.
    /// </summary>
    private static async Task AssertGoneAsync(int qemu, int port, BackgroundProcess uk)
    {
        var deadline = DateTime.UtcNow + GoneLimit;
        while (IsRunning(qemu) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(IsRunning(qemu), $"QEMU (pid {qemu}) still runs {GoneLimit.TotalSeconds} s after uk ended\n{uk.Output}");
        while (!PortBinds(port, out var error))
        {
            Assert.True(DateTime.UtcNow < deadline,
                        $"port {port} still in use {GoneLimit.TotalSeconds} s after uk ended ({error.SocketErrorCode})\n{uk.Output}");
            await Task.Delay(50);
        }
    }

    private static bool PortBinds(int port, out SocketException error)
    {
        error = null!;
        using var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            error = e;
            return false;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException) { return false; }
    }

    private static int Kill(int pid, int signal) => KillProcess(pid, signal);

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int KillProcess(int pid, int signal);
}
