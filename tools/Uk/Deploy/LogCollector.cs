using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// The deployment's syslog receiver (`uk collect`, started by `uk deploy` as a background process of its own): RFC 5424
/// messages over UDP (one per datagram, RFC 5426) and TCP (octet counting, RFC 6587, or newline-framed) on one
/// 127.0.0.1 port, which the guests reach as 10.0.2.2 through user networking. Each message is appended, as received,
/// to <c>collected.log</c> in the directory of the instance its HOSTNAME names (the kernel ships the instance id there:
/// uk passes <c>uk.instance=ID</c>), else to the deployment's <c>collected-other.log</c>; `uk logs` reads them. Our own
/// receiver rather than Debian's rsyslog: it needs no root and no system configuration, lives and dies with the
/// deployment (its pid in the state file, stopped by `uk stop`), and files lines by instance without a template.
/// </summary>
public sealed class LogCollector
{
    public const string FileName = "collected.log";
    public const string OtherFileName = "collected-other.log";
    public const string PortFileName = "collector.port";

    private readonly string _directory;
    private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);

    public LogCollector(string deploymentDirectory) => _directory = deploymentDirectory;

    /// <summary>
    /// Listens (UDP and TCP on the same port: <paramref name="preferredPort"/> when both are free, else one the kernel
    /// chooses), writes the port to collector.port, and serves until cancelled.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellation, int? preferredPort = null)
    {
        var (udp, tcp) = (preferredPort is > 0 and <= 65535 ? TryBind(preferredPort.Value) : null) ?? Bind();
        using (udp)
        using (tcp)
        {
            int port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
            string portFile = Path.Combine(_directory, PortFileName);
            File.WriteAllText(portFile + ".tmp", port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
            File.Move(portFile + ".tmp", portFile, overwrite: true);
            var receive = ReceiveDatagramsAsync(udp, cancellation);
            var accept = AcceptAsync(tcp, cancellation);
            try { await Task.WhenAll(receive, accept).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        lock (_files) foreach (var file in _files.Values) file.Dispose();
    }

    private static (UdpClient Udp, TcpListener Tcp)? TryBind(int port)
    {
        UdpClient? udp = null;
        try
        {
            udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
            var tcp = new TcpListener(IPAddress.Loopback, port);
            tcp.Start();
            return (udp, tcp);
        }
        catch (SocketException)
        {
            udp?.Dispose();
            return null;
        }
    }

    private static (UdpClient Udp, TcpListener Tcp) Bind()
    {
        for (int attempt = 0; ; attempt++)
        {
            var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.Client.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                return (udp, tcp);
            }
            catch (SocketException) when (attempt < 20) { udp.Dispose(); }
        }
    }

    private async Task ReceiveDatagramsAsync(UdpClient udp, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            var datagram = await udp.ReceiveAsync(cancellation).ConfigureAwait(false);
            Append(Encoding.UTF8.GetString(datagram.Buffer).TrimEnd('\n', '\r', '\0'));
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(cancellation).ConfigureAwait(false);
            _ = Task.Run(() => ReadStreamAsync(client, cancellation), cancellation);
        }
    }

    /// <summary>RFC 6587: a frame is "LENGTH SP MESSAGE" (octet counting) or, when it starts with '&lt;', a message up to LF.</summary>
    private async Task ReadStreamAsync(TcpClient client, CancellationToken cancellation)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new List<byte>();
            var chunk = new byte[16384];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(chunk, cancellation).ConfigureAwait(false)) > 0)
                {
                    buffer.AddRange(chunk.AsSpan(0, n));
                    while (NextFrame(buffer) is { } message) Append(message);
                }
            }
            catch (IOException) { }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>Takes one whole frame off the front of <paramref name="buffer"/>, or null when it has none yet.</summary>
    public static string? NextFrame(List<byte> buffer)
    {
        if (buffer.Count == 0) return null;
        if (buffer[0] == (byte)'<')
        {
            int newline = buffer.IndexOf((byte)'\n');
            if (newline < 0) return null;
            string line = Encoding.UTF8.GetString(buffer.GetRange(0, newline).ToArray()).TrimEnd('\r');
            buffer.RemoveRange(0, newline + 1);
            return line;
        }
        int length = 0, at = 0;
        for (; at < buffer.Count && buffer[at] != (byte)' '; at++)
        {
            if (buffer[at] is < (byte)'0' or > (byte)'9' || at >= 9)
            {
                buffer.Clear();   // neither framing: nothing after it can be trusted to start a frame
                return null;
            }
            length = length * 10 + buffer[at] - '0';
        }
        if (at >= buffer.Count || buffer.Count < at + 1 + length) return null;
        string message = Encoding.UTF8.GetString(buffer.GetRange(at + 1, length).ToArray());
        buffer.RemoveRange(0, at + 1 + length);
        return message;
    }

    private void Append(string message)
    {
        if (message.Length == 0) return;
        string host = SyslogMessage.Parse(message)?.Host ?? "";
        string path = DeploymentStore.NameProblem(host) is null && Directory.Exists(Path.Combine(_directory, host))
            ? Path.Combine(_directory, host, FileName)
            : Path.Combine(_directory, OtherFileName);
        byte[] line = Encoding.UTF8.GetBytes(message.Replace("\n", "\\n") + "\n");
        lock (_files)
        {
            if (!_files.TryGetValue(path, out var file))
                _files[path] = file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            file.Write(line);
            file.Flush();
        }
    }

    /// <summary>
    /// Starts `uk collect` for the deployment in a session of its own (so it outlives this uk and a terminal's Ctrl-C),
    /// and waits until it listens; returns its pid and port. A collector started again (it was stopped or died) asks for
    /// <paramref name="previousPort"/>: the running instances were told that port at boot and keep shipping to it.
    /// </summary>
    /// <exception cref="InvalidOperationException">It did not start or did not listen in time.</exception>
    public static (int Pid, int Port) StartBackground(string deploymentDirectory, int? previousPort = null)
    {
        string portFile = Path.Combine(deploymentDirectory, PortFileName);
        File.Delete(portFile);
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program uk is");
        start.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(LogCollector).Assembly.Location);
        foreach (string a in new[] { "collect", "--directory", deploymentDirectory }) start.ArgumentList.Add(a);
        if (previousPort is > 0)
        {
            start.ArgumentList.Add("--port");
            start.ArgumentList.Add(previousPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        int pid;
        using (var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start uk collect"))
        {
            pid = process.Id;   // setsid(1) execs in place: a child of uk never leads its process group
            process.StandardInput.Close();
            process.StandardOutput.Close();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(portFile))
            {
                if (process.HasExited) throw new InvalidOperationException($"uk collect ended ({process.ExitCode}): {process.StandardError.ReadToEnd().Trim()}");
                if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException("uk collect did not listen within 10 s");
                Thread.Sleep(20);
            }
            process.StandardError.Close();
        }
        return (pid, int.Parse(File.ReadAllText(portFile).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The collector of <paramref name="pid"/> runs and is this deployment's.</summary>
    public static bool IsRunning(int? pid, string deploymentDirectory)
    {
        if (pid is not > 0) return false;
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("collect\0--directory\0" + deploymentDirectory, StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
