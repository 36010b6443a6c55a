using System.Diagnostics;
using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Configuration at boot (docs/options.md, "Configuration at boot"): the image's defaults (uk-ld --env-file), QEMU's
/// fw_cfg file opt/uk/env and the kernel command line become the app's environment, a later source overriding an
/// earlier one name by name; every name Linux allows gets through, as the same executable on Linux sees it; a malformed
/// source is reported and not applied; the boot report names entries and never shows a value unless asked.
/// samples/conformance's `environment` mode prints the whole environment.
/// </summary>
public class BootConfigurationTests
{
    private const string App = "conformance";

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    [InlineData(MachineKind.Q35)]
    public async Task LaterSourcesOverrideEarlierOnesNameByName(MachineKind machine)
    {
        using var dir = new TempDirectory();
        string image = LinkWithDefaults(dir, "A=image\nB=image\nC=image\n");
        string block = dir.Write("env", Encoding.UTF8.GetBytes("B=fw_cfg\0C=fw_cfg\0D=fw_cfg\0"));
        var guest = await BootAsync(image, machine, KernelCommandLine.Build([], ["C=command line"], ["environment"]), block);

        Assert.Equal(0, guest.ExitStatus);
        Assert.Equal(["environment: A=image", "environment: B=fw_cfg", "environment: C=command line", "environment: D=fw_cfg"],
                     EnvironmentLines(guest));
        Assert.Contains("uk: environment: 4 names; image 3, fw_cfg 3, command line 1", guest.KernelLines);
        Assert.Contains("uk:   A from the image", guest.KernelLines);
        Assert.Contains("uk:   B from fw_cfg, over the image", guest.KernelLines);
        Assert.Contains("uk:   C from the command line, over fw_cfg", guest.KernelLines);
        Assert.Contains("uk:   D from fw_cfg", guest.KernelLines);
    }

    [Theory]
    [InlineData("GOOD=1\0NO NAME\0", 7, "an entry that is not NAME=VALUE (no '=', or nothing before it)")]
    [InlineData("GOOD=1\0=x\0", 7, "an entry that is not NAME=VALUE (no '=', or nothing before it)")]
    [InlineData("GOOD=1\0\0", 7, "an empty entry (two NULs in a row)")]
    [InlineData("GOOD=1\0CUT=of", 7, "the last entry has no terminating NUL (cut off?)")]
    public async Task AMalformedFwCfgFileIsReportedInOneLineAndNotApplied(string contents, int offset, string problem)
    {
        using var dir = new TempDirectory();
        string block = dir.Write("env", Encoding.UTF8.GetBytes(contents));
        var guest = await BootAsync(AppImages.Image(App), MachineKind.Microvm, KernelCommandLine.Build([], ["KEPT=1"], ["environment"]), block);

        Assert.Equal(0, guest.ExitStatus);
        Assert.Contains($"uk: environment: fw_cfg opt/uk/env is malformed at byte {offset}: {problem}; none of it is applied", guest.KernelLines);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(guest));
    }

    [Fact]
    public void UkLdRefusesAnEnvironmentFileLinuxWouldNotTake()
    {
        using var dir = new TempDirectory();
        string envFile = dir.Write("defaults.env", Encoding.UTF8.GetBytes("OK=1\n=nameless\n"));
        var (status, output) = RunUkLd(dir, envFile);
        Assert.NotEqual(0, status);
        Assert.Contains($"--env-file: {envFile}:2: no variable name before '='", output);
        Assert.False(File.Exists(Path.Combine(dir.Path, "app.img")));
    }

    // Names with dots (ASP.NET's Logging__LogLevel__Microsoft.Hosting.Lifetime), dashes, non-ASCII, a leading digit;
    // values with '=', newlines, spaces, quotes, nothing: through -e (the command line), --env-file (fw_cfg), and -e
    // entries too many for the command line (uk moves them to fw_cfg). The app sees what the same executable sees on Linux.
    [Theory]
    [InlineData("-e")]
    [InlineData("--env-file")]
    [InlineData("-e, too long for the command line")]
    public async Task EveryNameLinuxAllowsReachesTheAppAsOnLinux(string channel)
    {
        var environment = new List<string>
        {
            "Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning", "my-name=dash", "1LEADING=digit", "名前=値", "K=a=b=c",
            "SPACES= two  spaces ", "QUOTES=\"quoted\" 'single'", "EMPTY=", "back\\slash=\\x41",
        };
        if (channel != "--env-file") environment.Add("MULTI=line one\nline two\ttab");
        if (channel.StartsWith("-e, ", StringComparison.Ordinal))
            environment.AddRange(Enumerable.Range(0, 60).Select(i => $"Filler.{i:D2}={new string('x', 80)}"));
        using var dir = new TempDirectory();
        var args = new List<string> { "run", AppImages.Image(App), "--accel", "tcg", "-q", "--timeout", "120" };
        if (channel == "--env-file") args.AddRange(["--env-file", dir.Write("app.env", Encoding.UTF8.GetBytes(string.Join('\n', environment) + "\n"))]);
        else foreach (string entry in environment) args.AddRange(["-e", entry]);
        args.AddRange(["--", "environment"]);

        var (status, stdout, stderr) = await RunUkAsync(args);
        var linux = RunOnLinuxDirectly(["environment"], environment);

        Assert.True(0 == status, stderr);
        Assert.Equal(Lines(linux).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)),
                     Lines(stdout).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)));
        Assert.Contains("environment: Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning", Lines(stdout));
    }

    [Fact]
    public async Task TheBootReportNamesEntriesButShowsNoValueUnlessAsked()
    {
        string[] environment = ["ConnectionStrings__Db=Host=db;Password=hunter2", "PLAIN=visible-value", "API_TOKEN=tok-123"];
        string[] args = ["environment", "--password=argument-secret"];

        var quiet = await AppImages.BootAsync(App, MachineKind.Microvm, args, environment);
        string kernel = string.Join('\n', quiet.KernelLines);
        Assert.Equal(0, quiet.ExitStatus);
        foreach (string secret in new[] { "hunter2", "visible-value", "tok-123", "argument-secret" })
            Assert.DoesNotContain(secret, kernel);
        Assert.Contains("uk:   environment: ConnectionStrings__Db", quiet.KernelLines);
        Assert.Contains("uk:   ConnectionStrings__Db from the command line", quiet.KernelLines);
        Assert.Contains("environment: ConnectionStrings__Db=Host=db;Password=hunter2", AppImages.AppLines(quiet));

        var asked = await AppImages.BootAsync(App, MachineKind.Microvm, args, environment, kernelOptions: ["uk.report.values=1"]);
        kernel = string.Join('\n', asked.KernelLines);
        Assert.Contains("uk:   environment: PLAIN=visible-value", asked.KernelLines);
        Assert.Contains("uk:   PLAIN=visible-value from the command line", asked.KernelLines);
        Assert.Contains("uk:   argument: --password=argument-secret", asked.KernelLines);
        Assert.Contains("uk:   ConnectionStrings__Db (value hidden: the name looks secret) from the command line", asked.KernelLines);
        Assert.DoesNotContain("hunter2", kernel);
        Assert.DoesNotContain("tok-123", kernel);
    }

    /// <summary>
    /// The app on Linux with exactly <paramref name="environment"/>, started directly: AppImages.RunOnLinux goes through
    /// /bin/sh, which drops names that are not shell identifiers (and adds PWD), and execve is what must be matched.
    /// </summary>
    private static string RunOnLinuxDirectly(string[] args, IEnumerable<string> environment)
    {
        var start = new ProcessStartInfo(AppImages.LinuxExecutable(App)) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Clear();
        foreach (string e in environment) start.Environment[e[..e.IndexOf('=')]] = e[(e.IndexOf('=') + 1)..];
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return stdout;
    }

    private static List<string> EnvironmentLines(BootResult guest) =>
        AppImages.AppLines(guest).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)).ToList();

    private static List<string> Lines(string text) => text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static Task<BootResult> BootAsync(string image, MachineKind machine, string commandLine, string firmwareEnvironment) =>
        QemuRunner.RunAsync(new QemuOptions
        {
            ImagePath = image,
            Machine = machine,
            Accelerator = Accelerator.Tcg,
            Memory = "256M",
            CommandLine = commandLine,
            FirmwareConfigFiles = [(BootConfiguration.FirmwareConfigName, firmwareEnvironment)],
        }, KernelImages.BootTimeout);

    /// <summary>The conformance app's image linked again, with <paramref name="defaults"/> as uk-ld's --env-file.</summary>
    internal static string LinkWithDefaults(TempDirectory dir, string defaults)
    {
        var (status, output) = RunUkLd(dir, dir.Write("defaults.env", Encoding.UTF8.GetBytes(defaults)));
        Assert.True(status == 0, output);
        return Path.Combine(dir.Path, "app.img");
    }

    private static (int Status, string Output) RunUkLd(TempDirectory dir, string envFile)
    {
        string root = KernelImages.RepositoryRoot;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
                 {
                     Path.Combine(root, "artifacts", "dotnet", "bin", "Unikernel.Linker", "release", "uk-ld.dll"), "-o", Path.Combine(dir.Path, "app.img"),
                     Path.Combine(root, "artifacts", "boot", "boot.o"), Path.Combine(root, "artifacts", "kernel", "kernel.o"),
                     "--app", AppImages.LinuxExecutable(App), "--app-name", App, "--env-file", envFile,
                 })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    internal static async Task<(int Status, string Stdout, string Stderr)> RunUkAsync(IEnumerable<string> args)
    {
        string uk = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "dotnet", "bin", "Uk", "release", "uk.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(uk);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout, await stderr);
    }
}
