using System.Diagnostics;
using System.Net.Sockets;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Debian's rsyslogd as an unprivileged foreground process (`rsyslogd -n -f CONF -i PIDFILE`) with imudp and imtcp on
/// high loopback ports (QEMU's user networking takes the guest's 10.0.2.2 there), writing every message it gets into one
/// file, one line each, with the RFC 5424 fields kept apart: PRI|TIMESTAMP|HOSTNAME|APP-NAME|PROCID|MSGID|SD|MSG.
/// Stop and Start again on the same ports: the collector restart of the central-logs tests.
/// </summary>
internal sealed class Rsyslog : IDisposable
{
    public const string Daemon = "/usr/sbin/rsyslogd";
    public const char Separator = '|';   // between the fields: MSG, which may contain it, is the last one

    private readonly string _directory, _config, _pidFile;
    private Process? _process;

    public int UdpPort { get; }
    public int TcpPort { get; }
    public string OutputFile { get; }

    public Rsyslog(string directory)
    {
        _directory = directory;
        UdpPort = KernelNetworkTests.FreePort(SocketType.Dgram, ProtocolType.Udp);
        TcpPort = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        OutputFile = Path.Combine(directory, "messages.log");
        _config = Path.Combine(directory, "rsyslog.conf");
        _pidFile = Path.Combine(directory, "rsyslogd.pid");
        File.WriteAllText(_config, $"""
            global(workDirectory="{directory}" maxMessageSize="8k")
            module(load="imudp")
            module(load="imtcp")
            input(type="imudp" address="127.0.0.1" port="{UdpPort}")
            input(type="imtcp" address="127.0.0.1" port="{TcpPort}")
            template(name="fields" type="string"
                     string="%pri%|%timestamp:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
            action(type="omfile" file="{OutputFile}" template="fields" flushOnTXEnd="on" asyncWriting="off")
            """);
    }

    /// <summary>Starts rsyslogd and waits until both ports take messages.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Daemon) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-n", "-f", _config, "-i", _pidFile }) start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"rsyslogd exited with status {_process.ExitCode} (config {_config})");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", TcpPort);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20)) { await Task.Delay(50); }
        }
    }

    /// <summary>SIGTERM, and the wait for its exit: what it received is in the file by then.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>The messages so far, each split into its 8 fields.</summary>
    public List<string[]> Messages()
    {
        if (!File.Exists(OutputFile)) return [];
        using var stream = new FileStream(OutputFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        string text = new StreamReader(stream).ReadToEnd();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(Separator, 8)).ToList();
    }

    public void Dispose()
    {
        if (_process is { HasExited: false }) { _process.Kill(); _process.WaitForExit(); }
        _process?.Dispose();
    }
}
