using System.Diagnostics;
using System.Text.Json;
using Unikernel.Tools.Inspect;

namespace Unikernel.Tools.Tests;

/// <summary>
/// uk inspect --sbom (docs/sbom.md): the SBOM of an image the real uk-ld linked is found, matches the image, and any
/// change to what the image loads is named as a mismatch; the sample image `make build` publishes carries one.
/// </summary>
public sealed class SbomInspectTests
{
    /// <summary>Links artifacts' hello app into an image with a small SBOM manifest, with the uk-ld this checkout built.</summary>
    private static byte[]? LinkHelloWithSbom(string directory)
    {
        string? linker = Artifacts.Find("artifacts/dotnet/bin/Unikernel.Linker/release/uk-ld.dll");
        string? boot = Artifacts.Find("artifacts/boot/boot.o"), kernel = Artifacts.Find("artifacts/kernel/kernel.o");
        string? app = Artifacts.Find("artifacts/apps/hello/hello");
        if (linker is null || boot is null || kernel is null || app is null) return null;
        string manifest = Path.Combine(directory, "sbom.txt");
        File.WriteAllText(manifest, "sdk\tUnikernel.Sdk\t0.1.0-test\t\ncomponent\tlibrary\tmusl\t1.2.3-1\tMIT\t\t\tlibc\n");
        string image = Path.Combine(directory, "hello.img");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { linker, "-o", image, boot, kernel, "--app", app, "--app-name", "hello", "--app-version", "1.0.0", "--sbom", manifest, "--no-compress" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
        return File.ReadAllBytes(image);
    }

    [SkippableFact]
    public void AChangeToTheLoadedBytesIsNamedAsAMismatch()
    {
        using var directory = new TempDirectory();
        byte[]? image = LinkHelloWithSbom(directory.Path);
        Skip.If(image is null, "uk-ld, boot.o, kernel.o or the hello app are missing from artifacts/: run 'make build' first");

        var result = SbomReader.Read(image!);
        Assert.Equal(SbomReader.Status.Matches, result.Status);
        Assert.Equal(5, result.ComponentCount); // hello, Unikernel.Sdk with boot.o and kernel.o inside, musl
        Assert.Equal("1.5", result.SpecVersion);
        var elf = ElfFile.Parse(image!);

        // A byte of the app's code: the recomputed hash differs from both records.
        var text = elf.Loads.First(load => load.Executable && load.VirtualAddress >= 0x400000);
        var changed = (byte[])image!.Clone();
        changed[text.Offset + 64] ^= 0x01;
        var mismatch = SbomReader.Read(changed);
        Assert.Equal(SbomReader.Status.Mismatch, mismatch.Status);
        Assert.Contains("the SBOM records sha256:", mismatch.Message);
        Assert.Contains("uk_image_info records sha256:", mismatch.Message);

        // The SBOM's own hash edited: only the SBOM is named.
        var sbom = elf.FindSection(SbomReader.SectionName)!;
        string json = result.Json!;
        string hash = JsonDocument.Parse(json).RootElement.GetProperty("metadata").GetProperty("component").GetProperty("hashes")[0].GetProperty("content").GetString()!;
        int at = json.IndexOf(hash, StringComparison.Ordinal);
        var forged = (byte[])image.Clone();
        forged[(int)sbom.Offset + at] = (byte)(hash[0] == '0' ? '1' : '0');
        var forgedResult = SbomReader.Read(forged);
        Assert.Equal(SbomReader.Status.Mismatch, forgedResult.Status);
        Assert.Contains("the SBOM records", forgedResult.Message);
        Assert.DoesNotContain("uk_image_info records", forgedResult.Message);

        // Not JSON any more.
        var broken = (byte[])image.Clone();
        broken[(int)sbom.Offset] = (byte)'x';
        Assert.Equal(SbomReader.Status.Malformed, SbomReader.Read(broken).Status);
    }

    [SkippableFact]
    public void TheSampleImageCarriesAnSbomThatMatchesIt()
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing: run 'make build' first");
        var result = SbomReader.Read(File.ReadAllBytes(image!));
        Assert.True(result.Status == SbomReader.Status.Matches, result.Message);
        using var document = JsonDocument.Parse(result.Json!);
        var names = document.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("hello", names);
        Assert.Contains("Unikernel.Sdk", names);
        Assert.Contains("Microsoft.NETCore.App.Runtime.NativeAOT.linux-x64", names);
        Assert.Contains("musl", names);

        // The report mentions it: presence, component count, the check.
        var report = ImageAnalyzer.Analyze(image!);
        Assert.Equal((SbomReader.Status.Matches, result.ComponentCount), (report.Sbom.Status, report.Sbom.ComponentCount));
        var json = Unikernel.Tools.Inspect.Render.JsonReport.Build(report)["sbom"]!;
        Assert.Equal(("matches", result.ComponentCount), ((string)json["status"]!, (int)json["components"]!));
        var text = new StringWriter();
        Unikernel.Tools.Inspect.Render.TextReport.Write(report, text, Unikernel.Tools.Cli.TerminalStyle.Plain, 10);
        Assert.Contains($"sbom       CycloneDX 1.5, {result.ComponentCount} components, matches the image", text.ToString());
    }

    /// <summary>The sample apps with native libraries: crypto links OpenSSL and .NET's crypto shim, globalization ICU;
    /// each lists them with the versions of the package's version files, and hello lists neither.</summary>
    [SkippableTheory]
    [InlineData("crypto", "artifacts/native/openssl/components.txt", new[] { "openssl", "System.Security.Cryptography.Native" }, new[] { "icu" })]
    [InlineData("globalization", "artifacts/native/icu/components.txt", new[] { "icu", "System.Globalization.Native", "libstdc++" }, new string[0])]
    [InlineData("hello", "artifacts/native/openssl/components.txt", new string[0], new[] { "openssl", "icu" })]
    public void SampleImagesListTheNativeLibrariesTheirAppsLinked(string app, string versionFile, string[] present, string[] absent)
    {
        string? image = Artifacts.Find($"artifacts/images/{app}.img");
        string? versions = Artifacts.Find(versionFile);
        Skip.If(image is null || versions is null, $"artifacts/images/{app}.img or {versionFile} is missing: run 'make build' first");
        var result = SbomReader.Read(File.ReadAllBytes(image!));
        Assert.True(result.Status == SbomReader.Status.Matches, result.Message);
        using var document = JsonDocument.Parse(result.Json!);
        var components = document.RootElement.GetProperty("components").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.TryGetProperty("version", out var v) ? v.GetString() : null);
        var recorded = File.ReadAllLines(versions!).Where(l => l.StartsWith("component\t", StringComparison.Ordinal))
            .Select(l => l.Split('\t')).ToDictionary(f => f[2], f => f[3]);
        foreach (string name in present)
            Assert.Equal(recorded[name], components[name]);
        foreach (string name in absent)
            Assert.DoesNotContain(name, components.Keys);
    }

    /// <summary>A web app lists ASP.NET Core's runtime pack, the one its restore resolved, next to the NativeAOT pack.</summary>
    [SkippableFact]
    public void AWebAppListsAspNetCoresRuntimePack()
    {
        string? image = Artifacts.Find("artifacts/images/http.img");
        Skip.If(image is null, "artifacts/images/http.img is missing: run 'make build' first");
        var result = SbomReader.Read(File.ReadAllBytes(image!));
        Assert.True(result.Status == SbomReader.Status.Matches, result.Message);
        using var document = JsonDocument.Parse(result.Json!);
        var names = document.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("Microsoft.AspNetCore.App.Runtime.linux-x64", names);
        Assert.Contains("Microsoft.NETCore.App.Runtime.NativeAOT.linux-x64", names);
        Assert.DoesNotContain("Microsoft.NETCore.App.Runtime.linux-x64", names);   // the JIT pack: not in the image
    }
}
