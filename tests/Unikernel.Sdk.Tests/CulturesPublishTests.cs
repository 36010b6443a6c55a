using System.Diagnostics;

namespace Unikernel.Sdk.Tests;

/// <summary>InvariantGlobalization as .NET means it: a project that says nothing gets cultures (the package links its
/// static ICU), one that says true gets none of it, and a missing ICU is an error at publish, not an abort at start.</summary>
public sealed class CulturesPublishTests : IDisposable
{
    private readonly string scratch = Path.Combine(Path.GetTempPath(), "uk-sdk-tests", Guid.NewGuid().ToString("N"));

    // One sequence on one copy of the app, so that its compiled objects are reused where the setting allows.
    [Fact]
    public void CulturesUnlessTheAppSaysInvariantAndAClearErrorWithoutIcu()
    {
        string project = SdkPackage.CopyFixture("CultureApp", scratch);
        string executable = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", "linux-x64", "publish", "CultureApp");

        var missing = SdkPackage.Publish(project, "-p:PublishUnikernel=true", "-p:UnikernelIcuDirectory=/nonexistent/icu");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("error UK1013: The app uses cultures (InvariantGlobalization is not true) and the package's static ICU is missing (/nonexistent/icu/libSystem.Globalization.Native.a", missing.Output);

        var cultures = SdkPackage.Publish(project, "-p:PublishUnikernel=true");
        Assert.True(cultures.ExitCode == 0, cultures.ToString());
        Assert.Contains("CultureApp: cultures (ICU and its data, about 27 MB) are linked in, as .NET does when InvariantGlobalization is not set", cultures.Output);
        Assert.Equal("1.234,50 İSTANBUL\n", Run(executable));
        long withIcu = new FileInfo(executable).Length;

        var invariant = SdkPackage.Publish(project, "-p:PublishUnikernel=true", "-p:InvariantGlobalization=true");
        Assert.True(invariant.ExitCode == 0, invariant.ToString());
        Assert.DoesNotContain("cultures (ICU", invariant.Output);
        Assert.Equal("no cultures\n", Run(executable));
        Assert.True(withIcu - new FileInfo(executable).Length > 20_000_000, $"ICU added only {withIcu - new FileInfo(executable).Length} bytes");
    }

    private static string Run(string executable)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("LANG");
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stdout}{stderr}");
        return stdout;
    }

    public void Dispose()
    {
        try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
    }
}
