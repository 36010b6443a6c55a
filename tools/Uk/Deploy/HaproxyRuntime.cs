using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// The deployment's load balancer: Debian's HAProxy, one daemon per deployment with its configuration, pid file and
/// runtime API socket (admin level, mode 0600) in the deployment's directory. The instances are dynamic servers of the
/// backend, changed through the runtime API while HAProxy runs (`add server`, `enable server`,
/// `set server ... state drain|maint`, `del server`: HAProxy 2.6's management guide), so a deploy never reloads
/// HAProxy and no client connection is dropped. A request whose connection to a server fails is retried on another
/// (retries, option redispatch, retry-on).
/// </summary>
public sealed class HaproxyRuntime
{
    public const string Executable = "haproxy";
    public const string Backend = "app";

    private readonly string _directory;

    public HaproxyRuntime(string deploymentDirectory) => _directory = deploymentDirectory;

    public string ConfigPath => Path.Combine(_directory, "haproxy.cfg");
    public string SocketPath => Path.Combine(_directory, "haproxy.sock");
    public string PidPath => Path.Combine(_directory, "haproxy.pid");

    /// <summary>The configuration: one frontend on the public address, one backend whose servers come and go at run time
    /// (<paramref name="servers"/>: those that serve already, when HAProxy is started again for a running deployment).</summary>
    public string Configuration(DeploymentState state, IEnumerable<InstanceRecord> servers)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            # Written by `uk deploy` for deployment '{state.Name}'; uk changes the servers through the runtime API.
            global
                stats socket {SocketPath} mode 600 level admin
                maxconn 4096

            defaults
                mode http
                option http-keep-alive
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                timeout http-keep-alive 10s
                retries 3
                option redispatch 1
                retry-on conn-failure empty-response

            frontend public
                bind {state.BindAddress}:{state.PublicPort}
                default_backend {Backend}

            backend {Backend}
                balance roundrobin

            """);
        foreach (var server in servers) text.Append(CultureInfo.InvariantCulture, $"    server {server.Id} 127.0.0.1:{server.HostPort}\n");
        return text.ToString();
    }

    /// <summary>Starts the daemon; returns its pid.</summary>
    /// <exception cref="InvalidOperationException">HAProxy did not start (its message: a port in use, a bad address).</exception>
    public int Start(DeploymentState state, IEnumerable<InstanceRecord> servers)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(ConfigPath, Configuration(state, servers));
        File.Delete(PidPath);
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-D", "-f", ConfigPath, "-p", PidPath }) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {Executable}: {e.Message} (install Debian's haproxy, or run 'make setup')", e);
        }
        using (process)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"HAProxy did not start on {state.BindAddress}:{state.PublicPort}: {Summary(error)}");
        }
        if (!File.Exists(PidPath) || !int.TryParse(File.ReadLines(PidPath).FirstOrDefault()?.Trim(), out int pid))
            throw new InvalidOperationException($"HAProxy started but wrote no pid to {PidPath}");
        return pid;
    }

    private static string Summary(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = lines.FirstOrDefault(l => l.StartsWith("[ALERT]", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? "no message";
        // "[ALERT]    (1234) : Binding [...]: cannot bind socket ...": the message without HAProxy's prefix.
        int colon = line.IndexOf(") : ", StringComparison.Ordinal);
        return colon >= 0 && line.StartsWith('[') ? line[(colon + 4)..] : line;
    }

    /// <summary>The daemon of <paramref name="pid"/> still runs and is this deployment's (its command line names our configuration).</summary>
    public bool IsRunning(int? pid)
    {
        if (pid is not > 0) return false;
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(ConfigPath, StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Stops the daemon (SIGUSR1: a soft stop, which lets open connections finish, then SIGTERM after <paramref name="grace"/>).</summary>
    public async Task StopAsync(int? pid, TimeSpan grace)
    {
        if (!IsRunning(pid)) return;
        Kill(pid!.Value, SigUsr1);
        var deadline = Stopwatch.StartNew();
        while (IsRunning(pid) && deadline.Elapsed < grace) await Task.Delay(50).ConfigureAwait(false);
        if (IsRunning(pid)) Kill(pid.Value, SigTerm);
        while (IsRunning(pid) && deadline.Elapsed < grace + TimeSpan.FromSeconds(5)) await Task.Delay(50).ConfigureAwait(false);
    }

    private const int SigUsr1 = 10, SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>One runtime API command; returns HAProxy's answer (the socket is closed after it: non-interactive mode).</summary>
    /// <exception cref="IOException">The socket cannot be reached.</exception>
    public async Task<string> CommandAsync(string command)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), timeout.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            throw new IOException($"HAProxy's runtime API ({SocketPath}): {command}: {e.Message}", e);
        }
    }

    /// <summary>A command whose answer is empty on success (or an informational line); throws with HAProxy's answer otherwise.</summary>
    private async Task ExpectAsync(string command, params string[] accepted)
    {
        string answer = (await CommandAsync(command).ConfigureAwait(false)).Trim();
        if (answer.Length == 0 || accepted.Any(a => answer.Contains(a, StringComparison.OrdinalIgnoreCase))) return;
        throw new IOException($"HAProxy: '{command}': {answer.Split('\n')[0]}");
    }

    /// <summary>A new server for <paramref name="instance"/>, taking traffic at once.</summary>
    public async Task AddServerAsync(InstanceRecord instance)
    {
        await ExpectAsync($"add server {Backend}/{instance.Id} 127.0.0.1:{instance.HostPort}", "New server registered").ConfigureAwait(false);
        await ExpectAsync($"enable server {Backend}/{instance.Id}").ConfigureAwait(false);
    }

    /// <summary>No new requests for the server; those in flight finish (HAProxy's drain state).</summary>
    public Task DrainAsync(InstanceRecord instance) => ExpectAsync($"set server {Backend}/{instance.Id} state drain");

    /// <summary>Out of the backend: maintenance, then deleted (left in maintenance when HAProxy still holds a connection to it).</summary>
    public async Task RemoveServerAsync(InstanceRecord instance)
    {
        await ExpectAsync($"set server {Backend}/{instance.Id} state maint", "No such server").ConfigureAwait(false);
        for (int attempt = 0; attempt < 20; attempt++)
        {
            string answer = (await CommandAsync($"del server {Backend}/{instance.Id}").ConfigureAwait(false)).Trim();
            if (answer.Contains("deleted", StringComparison.OrdinalIgnoreCase) || answer.Contains("No such server", StringComparison.OrdinalIgnoreCase)) return;
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Each of the backend's servers, by name: its current sessions (the stats' scur) and status (UP, DRAIN, MAINT, ...).</summary>
    public async Task<Dictionary<string, ServerStats>> ServersAsync()
    {
        string csv = await CommandAsync("show stat").ConfigureAwait(false);
        var servers = new Dictionary<string, ServerStats>(StringComparer.Ordinal);
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal)) throw new IOException($"HAProxy: 'show stat': unexpected answer: {lines.FirstOrDefault()}");
        string[] header = lines[0][2..].Split(',');
        int proxy = Array.IndexOf(header, "pxname"), server = Array.IndexOf(header, "svname");
        int current = Array.IndexOf(header, "scur"), status = Array.IndexOf(header, "status");
        if (proxy < 0 || server < 0 || current < 0 || status < 0) throw new IOException("HAProxy: 'show stat': no pxname, svname, scur or status column");
        foreach (string line in lines.Skip(1))
        {
            string[] fields = line.Split(',');
            if (fields.Length <= Math.Max(current, status) || fields[proxy] != Backend || fields[server] is "BACKEND" or "FRONTEND") continue;
            servers[fields[server]] = new ServerStats(int.TryParse(fields[current], out int n) ? n : 0, fields[status]);
        }
        return servers;
    }
}

public readonly record struct ServerStats(int Sessions, string Status);
