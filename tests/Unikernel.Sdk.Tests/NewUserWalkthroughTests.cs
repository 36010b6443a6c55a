using System.Diagnostics;

namespace Unikernel.Sdk.Tests;

/// <summary>README's "Your app as an image", walked as a new user walks it: an empty folder outside the repository, a
/// one-line NuGet.config naming a feed that is a copy of the packages `make package` wrote (so nothing of the repository
/// is reached), `dotnet new console`, the package, the `uk` tool, publish, and `uk run` of the image.</summary>
public class NewUserWalkthroughTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "uk-walkthrough", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }

    [SkippableFact]
    public void AConsoleAppBecomesAnImageThatUkRuns()
    {
        Skip.IfNot(File.Exists("/usr/bin/qemu-system-x86_64"), "qemu-system-x86_64 is missing (make setup installs it)");
        string feed = Path.Combine(_scratch, "feed");
        Directory.CreateDirectory(feed);
        foreach (string package in Directory.GetFiles(SdkPackage.Feed, "Unikernel.*.nupkg"))
            File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
        Assert.True(Directory.GetFiles(feed, "Unikernel.Tool.*.nupkg").Length == 1, "make package wrote no Unikernel.Tool package");

        string app = Path.Combine(_scratch, "greeter");
        Directory.CreateDirectory(app);
        Step(app, "dotnet", "new", "console");
        File.WriteAllText(Path.Combine(app, "NuGet.config"),
            $"<configuration><packageSources><add key=\"unikernel\" value=\"{feed}\" /></packageSources></configuration>\n");
        Step(app, "dotnet", "add", "package", "Unikernel.Sdk", "--prerelease");
        string tools = Path.Combine(_scratch, "tools");
        Step(app, "dotnet", "tool", "install", "Unikernel.Tool", "--prerelease", "--tool-path", tools);
        Step(app, "dotnet", "publish", "-c", "Release", "-p:PublishUnikernel=true");

        string image = Path.Combine(app, "bin", "Release", "net10.0", "linux-x64", "publish", "greeter.img");
        Assert.True(File.Exists(image), image + " is missing");
        var run = Run(app, Path.Combine(tools, "uk"), "run", image, "--accel", "tcg");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("Hello, World!\n", run.Stdout);
        Assert.Contains("uk: image greeter 1.0.0 sha256:", run.Stderr);

        var inspect = Run(app, Path.Combine(tools, "uk"), "inspect", image);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("/app/greeter", inspect.Stdout);
    }

    private sealed record Outcome(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    private static void Step(string directory, string file, params string[] args)
    {
        var outcome = Run(directory, file, args);
        Assert.True(outcome.ExitCode == 0, $"{file} {string.Join(' ', args)}: {outcome}");
    }

    private static Outcome Run(string directory, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        // A new user's shell has none of the test host's MSBuild settings.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return new Outcome(-1, stdout.Result, stderr.Result + "\n(killed after 5 minutes)");
        }
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }
}
