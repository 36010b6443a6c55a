using System.Diagnostics;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The app's stdin, stdout and stderr are a terminal (isatty, what Console.IsOutputRedirected and ASP.NET's console
/// logger check before writing colour codes) exactly when `uk run`'s stdout is one, as a process's are on Linux: run
/// under a pseudo-terminal (util-linux's script, Debian's essential bsdutils) and through pipes, against the same executable run the same two ways.
/// Without uk (a cloud's serial console, QEMU started by hand) they are not a terminal: that console is a log.
/// </summary>
public class ConsoleTerminalTests
{
    private const string App = "conformance";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheAppsConsoleIsATerminalExactlyWhenUkRunsOutputIs(bool terminal)
    {
        string uk = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "dotnet", "bin", "Uk", "release", "uk.dll");
        var guest = await RunAsync(terminal, ["dotnet", uk, "run", AppImages.Image(App), "--accel", "tcg", "-q", "--timeout", "120", "--", "environment"]);
        var linux = await RunAsync(terminal, [AppImages.LinuxExecutable(App), "environment"]);

        string redirected = terminal ? "False" : "True";
        Assert.Equal([$"console: stdin redirected: {redirected}", $"console: stdout redirected: {redirected}", $"console: stderr redirected: {redirected}"],
                     ConsoleLines(linux));
        Assert.Equal(ConsoleLines(linux), ConsoleLines(guest));
    }

    [Fact]
    public async Task WithoutUkTheConsoleIsNotATerminal()
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["environment"]);
        Assert.Equal(0, guest.ExitStatus);
        Assert.Contains("console: stdout redirected: True", AppImages.AppLines(guest));

        var asked = await AppImages.BootAsync(App, MachineKind.Microvm, ["environment"], kernelOptions: ["uk.console.tty=1"]);
        Assert.Contains("console: stdout redirected: False", AppImages.AppLines(asked));
    }

    private static List<string> ConsoleLines(string output) =>
        output.Replace("\r", "").Split('\n').Select(l => l[Math.Max(0, l.IndexOf("console: ", StringComparison.Ordinal))..])
              .Where(l => l.StartsWith("console: ", StringComparison.Ordinal)).ToList();

    /// <summary>Runs <paramref name="command"/> with its output on a pseudo-terminal (script -qec) or on pipes; its stdout.</summary>
    private static async Task<string> RunAsync(bool terminal, string[] command)
    {
        var start = new ProcessStartInfo(terminal ? "/usr/bin/script" : command[0]) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (terminal)
        {
            foreach (string a in new[] { "-qec", string.Join(' ', command.Select(ShellQuote)), "/dev/null" }) start.ArgumentList.Add(a);
        }
        else foreach (string a in command[1..]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        return output;
    }

    private static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
