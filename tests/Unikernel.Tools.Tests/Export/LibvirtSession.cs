using System.Diagnostics;

namespace Unikernel.Tools.Tests.Export;

/// <summary>
/// A private libvirt daemon for one test: `libvirtd` in session mode (qemu:///session) with its sockets, configuration,
/// logs and domains under a temporary directory, so nothing of the host's libvirt is touched and no systemd is needed.
/// As root (a container), it runs as nobody through setpriv, since root's libvirtd would be the system daemon. The
/// console goes to files written by libvirtd itself (stdio_handler "file": no virtlogd is spawned). Dispose destroys
/// and undefines every domain, stops the daemon and deletes the directory, whatever happened.
/// </summary>
public sealed class LibvirtSession : IDisposable
{
    private const int Nobody = 65534;
    private readonly Process _daemon;
    private readonly List<string> _domains = [];
    private readonly System.Text.StringBuilder _log = new();
    private readonly bool _asNobody = Environment.UserName == "root";

    /// <summary>A directory the daemon and its QEMU processes can read and write: put images and logs here.</summary>
    public string Root { get; }

    /// <summary>Why a session cannot run here, or null.</summary>
    public static string? Unavailable()
    {
        foreach (var tool in new[] { "/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/qemu-system-x86_64" })
            if (!File.Exists(tool)) return $"{tool} is not installed (Debian libvirt-daemon-system, libvirt-clients, qemu-system-x86; make setup installs them)";
        if (Environment.UserName == "root" && !File.Exists("/usr/bin/setpriv")) return "/usr/bin/setpriv is missing (util-linux): root's libvirtd would be the system daemon";
        return null;
    }

    public LibvirtSession()
    {
        Root = Directory.CreateTempSubdirectory("uk-libvirt-").FullName;
        foreach (var sub in new[] { "run", "config/libvirt", "cache", "data" }) Directory.CreateDirectory(Path.Combine(Root, sub));
        File.WriteAllText(Path.Combine(Root, "config/libvirt/qemu.conf"), "stdio_handler = \"file\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Root, (UnixFileMode)0x1ed);   // rwxr-xr-x: QEMU, run as the daemon's user, reads images here
        if (_asNobody) ExportTestSupport.Run("/usr/bin/chown", ["-R", $"{Nobody}:{Nobody}", Root]);

        var daemon = Start("/usr/sbin/libvirtd", []);
        daemon.RedirectStandardOutput = daemon.RedirectStandardError = true;
        _daemon = Process.Start(daemon)!;
        // Its log (DBus and udev are absent in a container: errors it survives) is kept for a failure's message.
        _daemon.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        _daemon.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        string socket = Path.Combine(Root, "run/libvirt/libvirt-sock");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(socket))
        {
            if (_daemon.HasExited || DateTime.UtcNow > deadline)
            {
                string why = _daemon.HasExited ? $"exited with {_daemon.ExitCode}" : "made no socket in 60 s";
                string log;
                lock (_log) log = _log.ToString();
                Dispose();
                throw new InvalidOperationException($"libvirtd {why}: {log}");
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>Makes <paramref name="path"/> (under Root) the daemon user's.</summary>
    public void Own(string path)
    {
        if (_asNobody) ExportTestSupport.Run("/usr/bin/chown", ["-R", $"{Nobody}:{Nobody}", path]);
    }

    public (int Status, string Out, string Error) Virsh(params string[] args)
    {
        var start = Start("/usr/bin/virsh", ["-c", "qemu:///session", .. args]);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000)) { process.Kill(entireProcessTree: true); process.WaitForExit(); throw new TimeoutException($"virsh {string.Join(' ', args)}"); }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Defines the domain in <paramref name="xmlFile"/>; it is destroyed and undefined at Dispose.</summary>
    public void Define(string xmlFile, string name)
    {
        _domains.Add(name);
        var (status, _, error) = Virsh("define", xmlFile);
        if (status != 0) throw new InvalidOperationException($"virsh define: {error.Trim()}");
    }

    /// <summary>Waits until the domain is shut off or crashed (at most <paramref name="seconds"/>); returns its state and reason
    /// ("in shutdown" and a failed query are passing moments).</summary>
    public string WaitUntilStopped(string name, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var (_, state, error) = Virsh("domstate", "--reason", name);
            if (state.StartsWith("shut off", StringComparison.Ordinal) || state.StartsWith("crashed", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
                return (state + error).Trim();
            Thread.Sleep(250);
        }
    }

    public void Dispose()
    {
        if (!_daemon.HasExited)
        {
            foreach (var name in _domains)
            {
                Virsh("destroy", name);
                Virsh("undefine", "--nvram", name);
            }
            _daemon.Kill();
            _daemon.WaitForExit(10_000);
        }
        _daemon.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private ProcessStartInfo Start(string program, IEnumerable<string> args)
    {
        ProcessStartInfo start;
        if (_asNobody)
        {
            start = new ProcessStartInfo("/usr/bin/setpriv");
            foreach (var a in new[] { "--reuid", $"{Nobody}", "--regid", $"{Nobody}", "--clear-groups", "--", program }) start.ArgumentList.Add(a);
        }
        else start = new ProcessStartInfo(program);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["HOME"] = Root;
        start.Environment["XDG_RUNTIME_DIR"] = Path.Combine(Root, "run");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Root, "config");
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(Root, "cache");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(Root, "data");
        start.Environment["LIBVIRT_AUTOSTART"] = "0";
        start.UseShellExecute = false;
        return start;
    }
}
