using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// An instance's QEMU, started to outlive uk: QEMU daemonizes (-daemonize, in a session of its own) once the machine
/// is built, writes its pid file, appends the serial console to console.log and listens for QMP on qmp.sock, all in the
/// instance's directory. uk records it in the state file before it starts, so none ever runs untracked; it is stopped
/// as `uk run` stops a guest on a signal: QMP system_powerdown (the ACPI power button), then QMP quit after a grace
/// period, and a kill when QMP does not answer.
/// </summary>
public static class DetachedInstance
{
    /// <summary>A loopback port nobody listens on now (the kernel's pick for port 0); QEMU binds it right after.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts QEMU detached; returns its pid, or throws with QEMU's own message.</summary>
    /// <exception cref="InvalidOperationException">QEMU did not start (its stderr, one line).</exception>
    public static int Start(QemuOptions options, InstanceRecord instance)
    {
        Directory.CreateDirectory(instance.Directory);
        options = options with
        {
            DetachedPidFile = instance.PidFile,
            ConsoleFile = instance.ConsoleLog,
            QmpSocketPath = instance.QmpSocket,
            ConsoleTag = instance.ConsoleTag,
        };
        var start = new ProcessStartInfo(options.QemuExecutable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in QemuCommand.BuildArguments(options)) start.ArgumentList.Add(a);
        using var process = StartProcess(start);
        // The foreground QEMU exits once the daemon has built the machine (or failed to).
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"QEMU did not start (status {process.ExitCode}): {FirstLine(error)}");
        if (!File.Exists(instance.PidFile) || !int.TryParse(File.ReadAllText(instance.PidFile).Trim(), out int pid))
            throw new InvalidOperationException($"QEMU started but wrote no pid to {instance.PidFile}");
        return pid;
    }

    private static Process StartProcess(ProcessStartInfo start)
    {
        try { return Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {start.FileName}: {e.Message} (install qemu-system-x86, or run 'make setup')", e);
        }
    }

    private static string FirstLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";

    /// <summary>The instance's QEMU still runs: its pid is alive and is the QEMU that serves this QMP socket (not a reused pid).</summary>
    public static bool IsRunning(InstanceRecord instance)
    {
        if (instance.Pid <= 0) return false;
        try
        {
            string stat = File.ReadAllText($"/proc/{instance.Pid}/stat");
            if (stat[stat.LastIndexOf(')') + 2] == 'Z') return false;
            return File.ReadAllText($"/proc/{instance.Pid}/cmdline").Contains(instance.QmpSocket, StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Stops the instance: system_powerdown and up to <paramref name="grace"/> for the guest to power off, then QMP quit,
    /// then SIGKILL. Returns how it ended, one line.
    /// </summary>
    public static async Task<string> StopAsync(InstanceRecord instance, TimeSpan grace)
    {
        if (!IsRunning(instance)) return "had stopped";
        if (grace > TimeSpan.Zero && await QmpClient.ExecuteAsync(instance.QmpSocket, "system_powerdown", QmpTimeLimit).ConfigureAwait(false) is null
            && await WaitGoneAsync(instance, grace).ConfigureAwait(false))
            return "shut down";
        string? quit = await QmpClient.ExecuteAsync(instance.QmpSocket, "quit", QmpTimeLimit).ConfigureAwait(false);
        if (quit is null && await WaitGoneAsync(instance, QmpTimeLimit).ConfigureAwait(false))
            return grace > TimeSpan.Zero ? $"stopped (QMP quit: no power-off within {grace.TotalSeconds:0.#} s)" : "stopped (QMP quit)";
        try { Process.GetProcessById(instance.Pid).Kill(); } catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        await WaitGoneAsync(instance, QmpTimeLimit).ConfigureAwait(false);
        return $"killed ({quit ?? "QMP quit did not end it"})";
    }

    private static async Task<bool> WaitGoneAsync(InstanceRecord instance, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (IsRunning(instance))
        {
            if (deadline.Elapsed >= limit) return false;
            await Task.Delay(50).ConfigureAwait(false);
        }
        return true;
    }

    private static readonly TimeSpan QmpTimeLimit = TimeSpan.FromSeconds(5);
}
