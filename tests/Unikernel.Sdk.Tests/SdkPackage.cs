using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Unikernel.Sdk.Tests;

/// <summary>The package `make package` built (artifacts/packages), and scratch copies of the fixture app that use it.</summary>
public static class SdkPackage
{
    public static string RepositoryRoot { get; } = FindRoot();
    public static string Feed => Path.Combine(RepositoryRoot, "artifacts", "packages");

    public static string Version
    {
        get
        {
            string file = Path.Combine(Feed, "Unikernel.Sdk.version.props");
            if (!File.Exists(file)) throw new FileNotFoundException($"{file} is missing: run 'make build' first", file);
            return Regex.Match(File.ReadAllText(file), "<UnikernelSdkVersion>([^<]+)</UnikernelSdkVersion>").Groups[1].Value;
        }
    }

    public static string PackagePath => Path.Combine(Feed, $"Unikernel.Sdk.{Version}.nupkg");

    public static ZipArchive OpenPackage() => ZipFile.OpenRead(PackagePath);

    /// <summary>A copy of Fixtures/<paramref name="fixture"/> in a fresh folder outside the repository (so none of its
    /// Directory.Build.* files apply), with the package version written in and a NuGet.config that adds the feed.</summary>
    public static string CopyFixture(string fixture, string scratch)
    {
        string source = Path.Combine(RepositoryRoot, "tests", "Unikernel.Sdk.Tests", "Fixtures", fixture);
        string target = Path.Combine(scratch, fixture);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
            File.WriteAllText(Path.Combine(target, Path.GetFileName(file)), File.ReadAllText(file).Replace("@VERSION@", Version));
        File.WriteAllText(Path.Combine(scratch, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="unikernel-test-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        return Path.Combine(target, fixture + ".csproj");
    }

    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"exit code {ExitCode}:\n{Output}";
    }

    /// <summary>`dotnet publish PROJECT -c Release ARGS`, the user's command; stdout and stderr together.</summary>
    public static Result Publish(string project, params string[] args) => Publish(project, args, new());

    /// <summary>The same with environment variables set (or replaced) for the publish.</summary>
    public static Result Publish(string project, string[] args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-nologo", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(project)!,
        };
        // Nothing of the test host's own build may leak into the user's build.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (Unikernel.sln) not found above " + AppContext.BaseDirectory);
    }
}
