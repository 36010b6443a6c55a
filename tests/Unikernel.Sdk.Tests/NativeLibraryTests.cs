using System.Diagnostics;

namespace Unikernel.Sdk.Tests;

/// <summary>samples/sqlite, copied outside the repository and published with the user's command and a PATH that has
/// no C compiler or linker: Debian's libsqlite3.a goes in through `UnikernelNativeLibrary` and the glibc compatibility
/// shim (docs/native-libraries.md).</summary>
public sealed class PublishedSqliteApp : IDisposable
{
    public string Scratch { get; } = Path.Combine(Path.GetTempPath(), "uk-sdk-tests", Guid.NewGuid().ToString("N"));
    public string Project { get; }
    public string PathWithoutCompiler { get; }
    public SdkPackage.Result Result { get; }

    public PublishedSqliteApp()
    {
        Project = CopySample("sqlite", Scratch);
        PathWithoutCompiler = PathWithoutCToolchain(Path.Combine(Scratch, "bin"));
        Result = SdkPackage.Publish(Project, ["-p:PublishUnikernel=true", "-p:UnikernelSdkVersion=" + SdkPackage.Version],
            new() { ["PATH"] = PathWithoutCompiler });
    }

    public string PublishDirectory => Path.Combine(Path.GetDirectoryName(Project)!, "bin", "Release", "net10.0", "linux-x64", "publish");

    /// <summary>The sample's project and sources (not samples/Directory.Build.*: the copy is an app of its own).</summary>
    private static string CopySample(string sample, string scratch)
    {
        string source = Path.Combine(SdkPackage.RepositoryRoot, "samples", sample);
        string target = Path.Combine(scratch, sample);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source).Where(f => f.EndsWith(".csproj") || f.EndsWith(".cs")))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(scratch, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="unikernel-test-feed" value="{SdkPackage.Feed}" />
              </packageSources>
            </configuration>
            """);
        return Path.Combine(target, sample + ".csproj");
    }

    /// <summary>/usr/bin and /bin without gcc, cc, clang, ld, as and the like, plus dotnet's folder.</summary>
    private static string PathWithoutCToolchain(string bin)
    {
        Directory.CreateDirectory(bin);
        string[] excluded = ["gcc", "cc", "c++", "g++", "clang", "ld", "as", "cpp", "musl-gcc", "gold", "lld", "ar", "ranlib", "objcopy", "strip", "nm", "tcc"];
        foreach (var dir in new[] { "/usr/bin", "/bin" })
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                string n = Path.GetFileName(file);
                bool isToolchain = excluded.Any(t => n == t || n.StartsWith(t + "-") || n.StartsWith(t + ".")) || n.StartsWith("x86_64-linux-gnu-")
                                   || n.StartsWith("clang") || n.StartsWith("ld.") || n.StartsWith("llvm-");
                string link = Path.Combine(bin, n);
                if (!isToolchain && !File.Exists(link)) File.CreateSymbolicLink(link, file);
            }
        return bin + ":" + Path.GetDirectoryName(Environment.ProcessPath);
    }

    public void Dispose()
    {
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { }
    }
}

public class NativeLibraryTests(PublishedSqliteApp app) : IClassFixture<PublishedSqliteApp>
{
    [Fact]
    public void TheSqliteSamplePublishesWithoutACCompilerAndRunsOnLinux()
    {
        foreach (var tool in new[] { "gcc", "cc", "clang", "ld" })
            Assert.False(app.PathWithoutCompiler.Split(':').Any(d => File.Exists(Path.Combine(d, tool))), $"{tool} is on the test's PATH");
        Assert.True(app.Result.ExitCode == 0, app.Result.ToString());
        Assert.True(File.Exists(Path.Combine(app.PublishDirectory, "sqlite.img")), app.Result.ToString());

        var run = Process.Start(new ProcessStartInfo(Path.Combine(app.PublishDirectory, "sqlite")) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = run.StandardOutput.ReadToEnd() + run.StandardError.ReadToEnd();
        run.WaitForExit();
        Assert.True(run.ExitCode == 0, output);
        Assert.StartsWith("sqlite 3.", output);
        Assert.Contains("reopened: 4 rows, integrity ok", output);
    }

    // The link map names what came from the archive and from the shim: the recipe's "what is in my app".
    [Fact]
    public void TheMapShowsSqliteFromTheArchiveAndTheShimsFortifiedFunctions()
    {
        Assert.True(app.Result.ExitCode == 0, app.Result.ToString());
        string map = File.ReadAllText(Path.Combine(app.PublishDirectory, "sqlite.map"));
        Assert.Contains("libsqlite3.a", map);
        Assert.Contains("__memcpy_chk", map);
        Assert.Contains("fcntl64", map);
    }

    [Fact]
    public void AMissingArchiveIsErrorUK1040NamingTheDebianPackage()
    {
        var result = SdkPackage.Publish(app.Project, ["-p:PublishUnikernel=true", "-p:UnikernelSdkVersion=" + SdkPackage.Version,
            "-p:UnikernelNativeLibraryDirectory=/nonexistent"], new() { ["PATH"] = app.PathWithoutCompiler });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error UK1040", result.Output);
        Assert.Contains("/nonexistent/libsqlite3.a does not exist", result.Output);
        Assert.Contains("apt-get install libsqlite3-dev", result.Output);
    }
}
