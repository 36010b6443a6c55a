using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Sdk.Tests;

/// <summary>
/// The SBOM every published image carries (docs/sbom.md), on the image PublishTests' fixture publishes: the versions it
/// lists are the ones the publish used (the nested restore's project.assets.json, the package's own version and version
/// files, musl's Debian package), it records the image hash, and it is valid CycloneDX 1.5. (That a publish from scratch
/// gives the same image bytes, SBOM included, is PublishTests' reproducibility check.)
/// </summary>
public class SbomPublishTests(PublishedImageApp app) : IClassFixture<PublishedImageApp>
{
    private JsonDocument Sbom()
    {
        Assert.True(app.First.ExitCode == 0, app.First.ToString());
        var section = ImageInfo.LocateSection(app.FirstImage, "uk_sbom");
        Assert.True(section is not null, "the published image has no uk_sbom section");
        return JsonDocument.Parse(app.FirstImage.AsMemory(section.Value.Offset, section.Value.Size));
    }

    private static Dictionary<string, JsonElement> Components(JsonDocument sbom) =>
        sbom.RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    private static string? Version(JsonElement component) => component.TryGetProperty("version", out var v) ? v.GetString() : null;

    [Fact]
    public void TheSbomListsWhatThePublishUsedAndRecordsTheImageHash()
    {
        using var sbom = Sbom();
        var info = ImageInfo.Read(app.FirstImage.AsSpan(ImageInfo.Locate(app.FirstImage)!.Value.Offset));
        var image = sbom.RootElement.GetProperty("metadata").GetProperty("component");
        Assert.Equal(("ImageApp", "2.3.4"), (image.GetProperty("name").GetString(), image.GetProperty("version").GetString()));
        Assert.Equal(Convert.ToHexStringLower(info.ImageSha256), image.GetProperty("hashes")[0].GetProperty("content").GetString());

        var components = Components(sbom);
        Assert.Equal(Convert.ToHexStringLower(info.Inputs[2].Sha256), components["ImageApp"].GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.Equal(SdkPackage.Version, Version(components["Unikernel.Sdk"]));
        Assert.Equal(Convert.ToHexStringLower(info.Inputs[1].Sha256),
            components["Unikernel.Sdk"].GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "kernel.o")
                .GetProperty("hashes")[0].GetProperty("content").GetString());

        // The runtime pack and the compiler: the versions the nested restore resolved.
        using var assets = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(app.ProjectDirectory, "obj", "unikernel", "project.assets.json")));
        string Restored(string id) => assets.RootElement.GetProperty("project").GetProperty("frameworks").GetProperty("net10.0")
            .GetProperty("downloadDependencies").EnumerateArray().Single(d => d.GetProperty("name").GetString() == id)
            .GetProperty("version").GetString()!.Trim('[', ']').Split(',')[0].Trim();
        var runtime = components["Microsoft.NETCore.App.Runtime.NativeAOT.linux-x64"];
        Assert.Equal(Restored("Microsoft.NETCore.App.Runtime.NativeAOT.linux-x64"), Version(runtime));
        Assert.Equal("framework", runtime.GetProperty("type").GetString());
        Assert.Equal("MIT", runtime.GetProperty("licenses")[0].GetProperty("expression").GetString());
        Assert.DoesNotContain("Microsoft.NETCore.App.Runtime.linux-x64", components.Keys); // the JIT pack is not in the image
        string ilcompiler = assets.RootElement.GetProperty("targets").GetProperty("net10.0/linux-x64").EnumerateObject()
            .Single(l => l.Name.StartsWith("Microsoft.DotNet.ILCompiler/", StringComparison.Ordinal)).Name.Split('/')[1];
        Assert.Equal(ilcompiler, Version(components["Microsoft.DotNet.ILCompiler"]));
        Assert.Equal("excluded", components["Microsoft.DotNet.ILCompiler"].GetProperty("scope").GetString());

        // musl: the Debian package that owns the libc.a the app was linked against.
        Assert.Equal(DpkgVersion("musl-dev"), Version(components["musl"]));
        // No tzdata: the app reads no time zones, so UnikernelTimeZones=auto left the zone files out of its image, and the
        // package's tzdata record names them by their image path. Nothing of ICU (invariant) or OpenSSL (no cryptography
        // reached).
        using (var package = SdkPackage.OpenPackage())
        {
            string tzdata = Encoding.UTF8.GetString(PackageContentsTests.Bytes(package, "tzdata/components.txt"));
            Assert.Equal("image:/usr/share/zoneinfo",
                tzdata.Split('\n').Single(l => l.StartsWith("component\tdata\ttzdata\t", StringComparison.Ordinal)).Split('\t')[6]);
        }
        Assert.DoesNotContain("tzdata", components.Keys);
        Assert.DoesNotContain("icu", components.Keys);
        Assert.DoesNotContain("openssl", components.Keys);
    }

    [SkippableFact]
    public void TheSbomIsValidCycloneDx15()
    {
        using var sbom = Sbom();
        string file = Path.Combine(app.Scratch, "ImageApp.cdx.json");
        File.WriteAllText(file, sbom.RootElement.GetRawText());
        var result = Unikernel.Tests.Sbom.CycloneDxSchema.Validate(SdkPackage.RepositoryRoot, file);
        Skip.If(result is null, "node or tests/sbom-schema/node_modules is missing (tests/install-reference-tools.sh installs them)");
        Assert.True(result!.Value.Valid, result.Value.Output);
    }

    [Fact]
    public void ThePackageCarriesTheVersionFilesOfItsNativeLibraries()
    {
        using var package = SdkPackage.OpenPackage();
        foreach (string file in new[] { "native/icu/components.txt", "native/openssl/components.txt", "tzdata/components.txt" })
        {
            string text = Encoding.UTF8.GetString(PackageContentsTests.Bytes(package, file));
            Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')),
                line => Assert.Equal(8, line.Split('\t').Length));
        }
        string openssl = Encoding.UTF8.GetString(PackageContentsTests.Bytes(package, "native/openssl/components.txt"));
        Assert.Contains($"component\tlibrary\topenssl\t{DpkgVersion("libssl-dev")}\tApache-2.0\t", openssl);
    }

    private static string DpkgVersion(string package)
    {
        using var process = Process.Start(new ProcessStartInfo("dpkg-query", ["-W", "-f=${Version}", package]) { RedirectStandardOutput = true })!;
        string version = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return version;
    }
}
