using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Tests.Deploy;

/// <summary>
/// The deployment's syslog receiver: RFC 5424 over TCP (octet counting and newline framing, RFC 6587) and UDP, filed by
/// HOSTNAME (the instance id) into the instance's directory. The messages come from util-linux's logger (a real sender;
/// skipped without it) and from a client writing the kernel shipper's format (docs/logs.md) byte by byte.
/// </summary>
public sealed class LogCollectorTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("uk-collect-test-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void ParsesTheShippersMessages()
    {
        var m = SyslogMessage.Parse("<14>1 2026-12-07T03:14:37.123456Z web-3 shop 1 stdout [origin software=\"shop\" swVersion=\"1.4.0\"] Now listening on: http://[::]:8080")!;
        Assert.Equal((14, "2026-12-07T03:14:37.123456Z", "web-3", "shop", "stdout", "Now listening on: http://[::]:8080"),
                     (m.Priority, m.Timestamp, m.Host, m.AppName, m.MessageId, m.Text));
        Assert.Equal("a ] b", SyslogMessage.Parse("<11>1 - h a 1 stderr [x y=\"q\\]z\"][w] a ] b")!.Text);
        Assert.Equal("", SyslogMessage.Parse("<6>1 - h a 1 kernel -")!.Text);
        Assert.Null(SyslogMessage.Parse("<13>Dec  7 03:14:37 host app: RFC 3164"));
        Assert.Null(SyslogMessage.Parse("not syslog"));
    }

    [Fact]
    public void FramesAreOctetCountedOrNewlineEnded()
    {
        var buffer = new List<byte>(Encoding.UTF8.GetBytes("11 <6>1 - h a1<6>1 - - - - - -\n5 <6>1"));
        Assert.Equal("<6>1 - h a1", LogCollector.NextFrame(buffer));
        Assert.Equal("<6>1 - - - - - -", LogCollector.NextFrame(buffer));
        Assert.Null(LogCollector.NextFrame(buffer));   // a frame not whole yet stays
        Assert.Equal("5 <6>1", Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public async Task LinesAreFiledByInstanceInTheOrderSent()
    {
        string instance = Path.Combine(_directory.FullName, "web-1-abcdef");
        Directory.CreateDirectory(instance);
        using var stop = new CancellationTokenSource();
        var collector = new LogCollector(_directory.FullName).RunAsync(stop.Token);
        int port = await PortAsync();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            var frames = new StringBuilder();
            for (int i = 1; i <= 50; i++)
            {
                string message = $"<14>1 2026-12-07T03:14:37.{i:D6}Z web-1-abcdef http 1 stdout [origin software=\"http\" swVersion=\"v1\"] line {i} ünïcode";
                frames.Append(Encoding.UTF8.GetByteCount(message)).Append(' ').Append(message);
            }
            byte[] bytes = Encoding.UTF8.GetBytes(frames.ToString());
            foreach (byte b in bytes) await stream.WriteAsync(new[] { b });   // frames split anywhere
        }
        string collected = Path.Combine(instance, LogCollector.FileName);
        // TCP and UDP are separate channels with no order between them: the UDP line goes once the TCP ones are filed.
        await WaitForAsync(() => File.Exists(collected) && File.ReadAllLines(collected).Length == 50);
        using (var udp = new UdpClient())
            await udp.SendAsync(Encoding.UTF8.GetBytes("<6>1 - web-1-abcdef http 1 kernel - uk: exit status 0"), new IPEndPoint(IPAddress.Loopback, port));
        using (var udp = new UdpClient())
            await udp.SendAsync(Encoding.UTF8.GetBytes("<14>1 - ../../etc http 1 stdout - elsewhere"), new IPEndPoint(IPAddress.Loopback, port));

        await WaitForAsync(() => File.Exists(collected) && File.ReadAllLines(collected).Length == 51);
        var lines = File.ReadAllLines(collected);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => $"line {i} ünïcode"), lines.Take(50).Select(l => SyslogMessage.Parse(l)!.Text));
        Assert.Equal("uk: exit status 0", SyslogMessage.Parse(lines[50])!.Text);
        await WaitForAsync(() => File.Exists(Path.Combine(_directory.FullName, LogCollector.OtherFileName)));
        Assert.Contains("elsewhere", File.ReadAllText(Path.Combine(_directory.FullName, LogCollector.OtherFileName)));

        var reader = new InstanceLogReader(new InstanceRecord { Id = "web-1-abcdef", Image = "x", Generation = 1, HostPort = 1, Directory = instance, ConsoleTag = "" }, shipped: true);
        Assert.Equal("2026-12-07T03:14:37.000001Z stdout line 1 ünïcode", reader.ReadNewLines()[0]);
        stop.Cancel();
        await collector;
    }

    /// <summary>A collector started again takes the port the running instances ship to, when it is free; when another
    /// program holds it, a port of the kernel's choosing.</summary>
    [Fact]
    public async Task ARestartedCollectorTakesItsPreviousPortWhenFree()
    {
        int previous;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            previous = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        using (var stop = new CancellationTokenSource())
        {
            var collector = new LogCollector(_directory.FullName).RunAsync(stop.Token, previous);
            Assert.Equal(previous, await PortAsync());
            stop.Cancel();
            await collector;
        }
        File.Delete(Path.Combine(_directory.FullName, LogCollector.PortFileName));
        var holder = new TcpListener(IPAddress.Loopback, previous);
        holder.Start();
        try
        {
            using var stop = new CancellationTokenSource();
            var collector = new LogCollector(_directory.FullName).RunAsync(stop.Token, previous);
            Assert.NotEqual(previous, await PortAsync());
            stop.Cancel();
            await collector;
        }
        finally { holder.Stop(); }
    }

    [SkippableFact]
    public async Task UtilLinuxLoggerReachesItOverTcpAndUdp()
    {
        Skip.IfNot(File.Exists("/usr/bin/logger"), "util-linux's logger is not installed");
        using var stop = new CancellationTokenSource();
        var collector = new LogCollector(_directory.FullName).RunAsync(stop.Token);
        int port = await PortAsync();
        Logger(port, "-T", "--octet-count", "--msgid", "stdout", "over tcp");
        Logger(port, "-d", "--msgid", "stderr", "over udp");
        string other = Path.Combine(_directory.FullName, LogCollector.OtherFileName);   // logger's HOSTNAME is this host, no instance
        await WaitForAsync(() => File.Exists(other) && File.ReadAllLines(other).Length == 2);
        var messages = File.ReadAllLines(other).Select(l => SyslogMessage.Parse(l)!).ToList();
        Assert.Contains(messages, m => (m.MessageId, m.Text, m.AppName) == ("stdout", "over tcp", "uk-test"));
        Assert.Contains(messages, m => (m.MessageId, m.Text) == ("stderr", "over udp"));
        stop.Cancel();
        await collector;
    }

    private static void Logger(int port, params string[] args)
    {
        var start = new ProcessStartInfo("logger") { UseShellExecute = false, RedirectStandardError = true };
        foreach (string a in new[] { "--rfc5424", "-n", "127.0.0.1", "-P", port.ToString(), "-t", "uk-test" }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }

    private async Task<int> PortAsync()
    {
        string file = Path.Combine(_directory.FullName, LogCollector.PortFileName);
        await WaitForAsync(() => File.Exists(file));
        return int.Parse(File.ReadAllText(file).Trim());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "not within 10 s");
            await Task.Delay(20);
        }
    }
}
