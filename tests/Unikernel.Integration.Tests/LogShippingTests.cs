using System.Diagnostics;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Central logs (docs/logs.md): the kernel ships the app's stdout and stderr and its own lines to Debian's rsyslog
/// (RFC 5424 over UDP, and over TCP with octet counting) and to an OTLP/HTTP receiver (OtlpReceiver: Debian has no
/// OpenTelemetry collector), from the conformance app's log-lines mode (numbered lines on both streams over time, some
/// written in two pieces). Every line the app wrote must arrive once, in order, with its stream, severity, the image's
/// name and version and the instance id -- also across a restart of both collectors while the app writes.
/// </summary>
public class LogShippingTests
{
    private const string App = "conformance";
    private const string Host = "10.0.2.2";   // the host's loopback, seen from QEMU's user networking

    [SkippableFact]
    public async Task SyslogOverUdpAndOtlpGetEveryLineInOrder()
    {
        SkipUnlessAvailable();
        using var directory = new TempDirectory();
        using var rsyslog = new Rsyslog(directory.Path);
        await rsyslog.StartAsync();
        using var otlp = new OtlpReceiver();
        otlp.Start();

        const int count = 40;
        var boot = await AppImages.BootAsync(App, MachineKind.Microvm, ["log-lines", count.ToString(), "20"],
            kernelOptions: [$"uk.log.syslog=udp://{Host}:{rsyslog.UdpPort}", $"uk.log.otlp=http://{Host}:{otlp.Port}", "uk.instance=logs-udp"],
            network: new QemuNetwork());
        Assert.True(boot.ExitStatus == 0, boot.Console);
        var expected = ExpectedLines(count);
        Assert.Equal(expected.Select(e => e.Text), AppImages.AppLines(boot));   // the console keeps showing everything
        string version = ImageVersion(boot);

        var syslog = await AppMessagesAsync(rsyslog);
        CheckSyslog(expected, syslog, "logs-udp", version, resentAllowed: false);
        Assert.Contains(rsyslog.Messages(), m => m[5] == "kernel" && m[0] == "6" && m[7] == "uk: ready");

        Assert.Empty(otlp.Problems);
        CheckOtlp(expected, otlp.Records, "logs-udp", version);
        Assert.Contains(otlp.Records, r => r.Stream == "kernel" && r.Body == "uk: ready");
        Assert.Contains(boot.KernelLines, l => Regex.IsMatch(l, @"^uk: log: shipped syslog \d+ otlp \d+ of \d+ lines; 0 dropped because the buffer was full$"));
    }

    [SkippableFact]
    public async Task SyslogOverTcpAndOtlpLoseNothingAcrossACollectorRestart()
    {
        SkipUnlessAvailable();
        using var directory = new TempDirectory();
        using var rsyslog = new Rsyslog(directory.Path);
        await rsyslog.StartAsync();
        using var otlp = new OtlpReceiver();
        otlp.Start();

        const int count = 60;
        string commandLine = KernelCommandLine.Build(
            [$"uk.log.syslog=tcp://{Host}:{rsyslog.TcpPort}", $"uk.log.otlp=http://{Host}:{otlp.Port}", "uk.instance=logs-tcp"], [],
            ["log-lines", count.ToString(), "60"]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, new QemuNetwork(), memory: "256M");

        // Both collectors go away while the app writes, and come back after it has written a dozen more lines.
        await WaitUntilAsync(() => rsyslog.Messages().Count(m => m[5] != "kernel") >= 10, "10 lines at rsyslog");
        await rsyslog.StopAsync();
        await otlp.StopAsync();
        int atStop = rsyslog.Messages().Count(m => m[5] != "kernel");
        int resumeAfter = (atStop + 12) % 3 == 0 ? atStop + 13 : atStop + 12;   // a stdout line's number
        Assert.True(resumeAfter < count, $"the collectors stopped too late: {atStop} lines had arrived");
        await guest.WaitForAsync($"log-lines: stdout {resumeAfter}\n");
        await rsyslog.StartAsync();
        otlp.Start();

        var boot = await guest.Finished;
        Assert.True(boot.ExitStatus == 0, boot.Console);
        var expected = ExpectedLines(count);
        string version = ImageVersion(boot);
        Assert.Contains(boot.KernelLines, l => l.StartsWith("uk: log: syslog tcp: collector unreachable", StringComparison.Ordinal));
        Assert.Contains(boot.KernelLines, l => l == "uk: log: syslog tcp: connected again, sending what waited");

        CheckSyslog(expected, await AppMessagesAsync(rsyslog), "logs-tcp", version, resentAllowed: true);
        Assert.Empty(otlp.Problems);
        CheckOtlp(expected, otlp.Records, "logs-tcp", version);
    }

    [SkippableFact]
    public async Task AnUnreachableCollectorAndABadAddressAreReportedAndTheAppRunsOn()
    {
        SkipUnlessAvailable();
        int closed = KernelNetworkTests.FreePort(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);   // nothing listens there
        var boot = await AppImages.BootAsync(App, MachineKind.Microvm, ["log-lines", "1000", "0"],
            kernelOptions: [$"uk.log.syslog=tcp://{Host}:{closed}", "uk.log.otlp=ftp://10.0.2.2:21", "uk.log.buffer=16", "uk.log.flush-wait=1"],
            network: new QemuNetwork());
        Assert.True(boot.ExitStatus == 0, boot.Console);
        Assert.Equal(ExpectedLines(1000).Select(e => e.Text), AppImages.AppLines(boot));
        Assert.Contains("uk: log: uk.log.otlp: the scheme is not udp://, tcp:// or http://; not shipping there", boot.KernelLines);
        Assert.Contains("uk: log: syslog tcp: collector unreachable (ECONNREFUSED), lines wait in the buffer", boot.KernelLines);
        Assert.Contains(boot.KernelLines, l => Regex.IsMatch(l, @"^uk: log: shipped syslog 0 of \d+ lines; [1-9]\d* dropped because the buffer was full, the rest undelivered after uk.log.flush-wait$"));
    }

    [SkippableFact]
    public async Task LinesDroppedFromAFullBufferAreCountedInTheStreamWhereTheyAreMissing()
    {
        SkipUnlessAvailable();
        using var directory = new TempDirectory();
        using var rsyslog = new Rsyslog(directory.Path);   // started only once the app has written everything

        const int count = 2000;   // far more than 16 KiB holds while the collector is away
        string commandLine = KernelCommandLine.Build(
            [$"uk.log.syslog=tcp://{Host}:{rsyslog.TcpPort}", "uk.log.buffer=16", "uk.log.flush-wait=30"], [], ["log-lines", count.ToString(), "0"]);
        await using var guest = RunningGuest.Start(AppImages.Image(App), MachineKind.Microvm, commandLine, new QemuNetwork(), memory: "256M");
        await guest.WaitForAsync("log-lines: done");
        await rsyslog.StartAsync();
        var boot = await guest.Finished;
        Assert.True(boot.ExitStatus == 0, boot.Console);
        var summary = boot.KernelLines.Select(l => Regex.Match(l, @"^uk: log: shipped syslog (\d+) of \d+ lines; (\d+) dropped because the buffer was full$"))
                                      .Single(m => m.Success);
        int dropped = int.Parse(summary.Groups[2].Value);
        Assert.True(dropped > 0, boot.Console);

        // In the stream: app lines in order with gaps, each gap followed by a kernel line counting it.
        await WaitUntilAsync(() => rsyslog.Messages().Count >= int.Parse(summary.Groups[1].Value), "every shipped line at rsyslog");
        var expected = ExpectedLines(count).Select(e => e.Text).ToList();
        int next = 0, missing = 0, reported = 0;
        foreach (string[] m in rsyslog.Messages())
        {
            var notice = Regex.Match(m[7], @"^uk: log: (\d+) lines? dropped: the log buffer was full$");
            if (m[5] == "kernel" && notice.Success) { reported += int.Parse(notice.Groups[1].Value); continue; }
            if (m[5] == "kernel") continue;
            int at = expected.IndexOf(m[7], next);
            Assert.True(at >= 0, $"\"{m[7]}\" out of order");
            missing += at - next;
            Assert.True(missing <= reported, $"{missing} lines missing before \"{m[7]}\", {reported} reported dropped");
            next = at + 1;
        }
        Assert.Equal(dropped, reported);   // kernel lines can be among them: every drop is in the stream
    }

    private static void SkipUnlessAvailable()
    {
        Skip.IfNot(File.Exists(Rsyslog.Daemon), $"{Rsyslog.Daemon} is not installed (Debian: rsyslog; make setup)");
        Skip.IfNot(File.Exists(Path.Combine(KernelImages.RepositoryRoot, "artifacts", "images", App + ".img")), "the conformance image is missing: run 'make build' first");
    }

    /// <summary>What log-lines COUNT writes: (stream, line).</summary>
    private static List<(string Stream, string Text)> ExpectedLines(int count)
    {
        var lines = new List<(string, string)>();
        for (int i = 1; i <= count; i++)
        {
            string stream = i % 3 == 0 ? "stderr" : "stdout";
            lines.Add((stream, $"log-lines: {stream} {i}"));
        }
        lines.Add(("stdout", "log-lines: done"));
        return lines;
    }

    private static string ImageVersion(BootResult boot)
    {
        var match = boot.KernelLines.Select(l => Regex.Match(l, @"^uk: image conformance (\S+) sha256:")).FirstOrDefault(m => m.Success);
        Assert.True(match is not null, "no 'uk: image' line\n" + boot.Console);
        return match!.Groups[1].Value;
    }

    // rsyslog writes what it received a little later than the guest sent it: wait until the last line is there (or not:
    // the comparison then shows what is missing).
    private static async Task<List<string[]>> AppMessagesAsync(Rsyslog rsyslog)
    {
        var deadline = Stopwatch.StartNew();
        while (!rsyslog.Messages().Any(m => m.Length == 8 && m[7] == "log-lines: done") && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);
        return rsyslog.Messages().Where(m => m[5] != "kernel").ToList();
    }

    /// <summary>
    /// The app's lines at rsyslog: each once, in order, with its fields. After a reconnect the kernel sends the lines of its
    /// resend window again (docs/logs.md): with <paramref name="resentAllowed"/>, a message whose meta sequenceId came
    /// before must be that same line again, and is then left out of the comparison.
    /// </summary>
    private static void CheckSyslog(List<(string Stream, string Text)> expected, List<string[]> received, string instance, string version, bool resentAllowed)
    {
        var messages = new List<string[]>();
        var seen = new Dictionary<long, string>();
        long lastSequence = 0;
        foreach (string[] m in received)
        {
            var sd = Regex.Match(m[6], $"^\\[origin software=\"{App}\" swVersion=\"{Regex.Escape(version)}\"\\]\\[meta sequenceId=\"(\\d+)\"\\]$");
            Assert.True(sd.Success, $"structured data {m[6]}");
            long sequence = long.Parse(sd.Groups[1].Value);
            if (seen.TryGetValue(sequence, out string? before))
            {
                Assert.True(resentAllowed, $"sent twice over UDP: {string.Join('|', m)}");
                Assert.Equal(before, m[7]);
                continue;
            }
            Assert.True(sequence > lastSequence, $"sequenceId {sequence} after {lastSequence}");
            lastSequence = sequence;
            seen[sequence] = m[7];
            messages.Add(m);
        }
        Assert.Equal(expected.Select(e => $"{e.Stream} {e.Text}"), messages.Select(m => $"{m[5]} {m[7]}"));
        DateTimeOffset previous = DateTimeOffset.MinValue;
        foreach (string[] m in messages)
        {
            Assert.Equal(m[5] == "stderr" ? "11" : "14", m[0]);                 // user.err / user.info
            Assert.Equal(instance, m[2]);                                          // HOSTNAME
            Assert.Equal(App, m[3]);                                               // APP-NAME
            Assert.Equal("1", m[4]);                                               // PROCID
            var time = DateTimeOffset.Parse(m[1]);
            Assert.True(time >= previous, $"timestamps go back: {m[1]}");
            Assert.True((DateTimeOffset.UtcNow - time).Duration() < TimeSpan.FromHours(1), $"timestamp {m[1]} is not about now");
            previous = time;
        }
    }

    private static void CheckOtlp(List<(string Stream, string Text)> expected, List<OtlpReceiver.LogRecord> records, string instance, string version)
    {
        var app = records.Where(r => r.Stream != "kernel").ToList();
        Assert.Equal(expected.Select(e => $"{e.Stream} {e.Text}"), app.Select(r => $"{r.Stream} {r.Body}"));
        ulong previous = 0;
        foreach (var r in app)
        {
            Assert.Equal(r.Stream == "stderr" ? (17, "ERROR") : (9, "INFO"), (r.SeverityNumber, r.SeverityText));
            Assert.Equal((App, version, instance), (r.ServiceName, r.ServiceVersion, r.InstanceId));
            Assert.True(r.TimeUnixNano >= previous, "timeUnixNano goes back");
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(r.TimeUnixNano / 1_000_000));
            Assert.True((DateTimeOffset.UtcNow - time).Duration() < TimeSpan.FromHours(1), $"timeUnixNano {r.TimeUnixNano} is not about now");
            previous = r.TimeUnixNano;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > KernelImages.BootTimeout) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
