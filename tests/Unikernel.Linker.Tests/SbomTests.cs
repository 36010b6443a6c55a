using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Unikernel.Boot;
using Unikernel.Linker.Output;
using Unikernel.Linker.Sbom;
using Unikernel.Linker.Synthetic;
using Unikernel.Formats;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Tests;

/// <summary>
/// uk-ld --sbom (docs/sbom.md): the CycloneDX document in the non-loaded section uk_sbom lists what the manifest, the
/// assets file, the .nuspecs, the component lists and the app's link map say, records the image hash, changes nothing
/// that is loaded, and is the same bytes for the same inputs.
/// </summary>
public sealed class SbomTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The image as the host tools read it: a compressed one (uk-ld --compress) expanded, byte for byte the
    /// uncompressed file (CompressionTests holds the compressed form itself).</summary>
    private static byte[] ReadImage(string path) => UkPayloadCodec.Expand(File.ReadAllBytes(path));

    private string Write(string relativePath, string text)
    {
        string path = Path.Combine(_harness.Directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Nuspec(string id, string licenceElement) =>
        $"""<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>{id}</id>{licenceElement}<version>1.0.0</version></metadata></package>""";

    /// <summary>An assets file with an app package (depending on another), a build-only package (suppressParent All),
    /// and Unikernel.Sdk; a package folder with their .nuspecs; a runtime pack; two component lists; an app map that
    /// names one of them.</summary>
    private string Manifest()
    {
        string packages = Path.Combine(_harness.Directory, "packages") + "/";
        Write("packages/npgsql/10.0.3/npgsql.nuspec", Nuspec("Npgsql", "<license type=\"expression\">PostgreSQL</license>"));
        Write("packages/old.lib/2.1.0/old.lib.nuspec", Nuspec("Old.Lib", "<licenseUrl>https://example.org/licence</licenseUrl>"));
        Write("packages/microsoft.dotnet.ilcompiler/10.0.12/microsoft.dotnet.ilcompiler.nuspec", Nuspec("Microsoft.DotNet.ILCompiler", "<license type=\"expression\">MIT</license>"));
        Write("packages/runtime.pack/10.0.12/runtime.pack.nuspec", Nuspec("Runtime.Pack", "<license type=\"expression\">MIT</license><licenseUrl>https://aka.ms/x</licenseUrl>"));
        string assets = Write("obj/project.assets.json", $$"""
            {
              "version": 3,
              "targets": {
                "net10.0": {},
                "net10.0/linux-x64": {
                  "Microsoft.DotNet.ILCompiler/10.0.12": { "type": "package" },
                  "Npgsql/10.0.3": { "type": "package", "dependencies": { "Old.Lib": "2.1.0" } },
                  "Old.Lib/2.1.0": { "type": "package" },
                  "Unikernel.Sdk/0.1.0-dev-abc": { "type": "package" },
                  "Other.Project/1.0.0": { "type": "project" }
                }
              },
              "packageFolders": { "{{packages}}": {} },
              "project": { "frameworks": { "net10.0": { "dependencies": {
                "Microsoft.DotNet.ILCompiler": { "suppressParent": "All", "target": "Package", "version": "[10.0.12, )" },
                "Npgsql": { "target": "Package", "version": "[10.0.3, )" },
                "Unikernel.Sdk": { "target": "Package", "version": "[0.1.0-dev-abc, )" } } } } }
            }
            """);
        Write("native/icu/components.txt",
            "# a comment\ncomponent\tlibrary\ticu\t72.1-3+deb12u1\tUnicode-DFS-2016\tpkg:deb/debian/libicu-dev@72.1-3%2Bdeb12u1?arch=amd64\tlibicuuc.a;libicudata.a\tICU\n");
        Write("native/openssl/components.txt",
            "component\tlibrary\topenssl\t3.0.19-1~deb12u2\tApache-2.0\tpkg:deb/debian/libssl-dev@3.0.19-1~deb12u2?arch=amd64\tlibssl.a;libcrypto.a\tOpenSSL\n");
        Write("tzdata/components.txt", "component\tdata\ttzdata\t2025b-0+deb12u2\tname:public domain\t\t\tzones\n");
        string map = Write("app.map", "# uk-ld link map v1\n" +
            $"file\t{_harness.Directory}/native/openssl/libcrypto.a(sha256.o)\t0x10\t0x0\t0x0\t0x0\t0x10\tdefault\n" +
            "file\t/usr/lib/x86_64-linux-musl/libc.a(printf.o)\t0x10\t0x0\t0x0\t0x0\t0x10\tdefault\n");
        return Write("obj/unikernel-sbom.txt", string.Join('\n',
            "sdk\tUnikernel.Sdk\t0.1.0-dev-abc\t",
            $"nuget-assets\t{assets}\tnet10.0/linux-x64",
            // Named by its folder only: id and version from its .nuspec.
            $"nuget\t\t\t{packages}runtime.pack/10.0.12\tthe runtime",
            $"app-map\t{map}",
            "components\t../native/icu/components.txt",
            "components\t../native/openssl/components.txt",
            "components\t../tzdata/components.txt",
            "component\tlibrary\tmusl\t1.2.3-1\tMIT\tpkg:deb/debian/musl-dev@1.2.3-1?arch=amd64\t/usr/lib/x86_64-linux-musl/libc.a\tmusl") + "\n");
    }

    private byte[] LinkImage(string output, string? sbom, string filesTime = "0")
    {
        string[] kernel = [_harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())), _harness.Write("kernel.o", AppEmbeddingTests.KernelStub())];
        string[] args = ["-o", output, .. kernel, "--app", _harness.LinkStaticApp(), "--app-name", "hello", "--app-version", "1.2.3", "--files-time", filesTime,
                         .. sbom is null ? Array.Empty<string>() : ["--sbom", sbom]];
        Linker.LinkToFiles(CommandLine.Parse(args)!);
        return ReadImage(output);
    }

    private static (Elf64SectionHeader Header, byte[] Bytes)? Section(byte[] elf, string name)
    {
        var header = MemoryMarshal.Read<Elf64Header>(elf);
        var names = MemoryMarshal.Read<Elf64SectionHeader>(elf.AsSpan((int)header.SectionHeaderOffset + header.SectionNameTableIndex * SectionHeaderSize));
        for (int i = 0; i < header.SectionCount; i++)
        {
            var section = MemoryMarshal.Read<Elf64SectionHeader>(elf.AsSpan((int)header.SectionHeaderOffset + i * SectionHeaderSize));
            var text = elf.AsSpan((int)(names.Offset + section.NameOffset));
            if (Encoding.ASCII.GetString(text[..text.IndexOf((byte)0)]) == name)
                return (section, elf.AsSpan((int)section.Offset, (int)section.Size).ToArray());
        }
        return null;
    }

    private static byte[] ImageHashOf(byte[] elf)
    {
        var (_, info) = Section(elf, ImageInfo.SectionName)!.Value;
        return ImageInfo.Read(info).ImageSha256;
    }

    [Fact]
    public void TheSbomIsANonLoadedSectionAndLeavesEverythingLoadedAsItWas()
    {
        byte[] plain = LinkImage(Path.Combine(_harness.Directory, "plain.img"), null);
        byte[] withSbom = LinkImage(Path.Combine(_harness.Directory, "sbom.img"), Manifest());

        var (header, bytes) = Section(withSbom, UkSbomFormat.SectionName)!.Value;
        Assert.Equal(SHT_PROGBITS, header.Type);
        Assert.Equal(0UL, header.Flags);
        Assert.Equal(0UL, header.Address);
        var elf = MemoryMarshal.Read<Elf64Header>(withSbom);
        for (int i = 0; i < elf.ProgramHeaderCount; i++)
        {
            var segment = MemoryMarshal.Read<Elf64ProgramHeader>(withSbom.AsSpan((int)elf.ProgramHeaderOffset + i * ProgramHeaderSize));
            Assert.False(header.Offset < segment.Offset + segment.FileSize && segment.Offset < header.Offset + header.Size);
        }
        // Same loaded bytes, same hash: the SBOM cannot change what boots.
        Assert.Equal(ImageHashOf(plain), ImageHashOf(withSbom));
        Assert.Equal(ImageInfo.ComputeImageHash(plain, 0), ImageInfo.ComputeImageHash(withSbom, 0));
        Assert.Null(Section(plain, UkSbomFormat.SectionName));
        Assert.Equal('{', (char)bytes[0]);
    }

    [Fact]
    public void TheDocumentListsTheComponentsWithTheirVersionsLicencesAndTheImageHash()
    {
        byte[] image = LinkImage(Path.Combine(_harness.Directory, "sbom.img"), Manifest(), filesTime: "1700000000");
        using var document = JsonDocument.Parse(Section(image, UkSbomFormat.SectionName)!.Value.Bytes);
        var root = document.RootElement;
        Assert.Equal("CycloneDX", root.GetProperty("bomFormat").GetString());
        Assert.Equal("1.5", root.GetProperty("specVersion").GetString());
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", root.GetProperty("serialNumber").GetString());
        var metadata = root.GetProperty("metadata");
        Assert.Equal("2023-11-14T22:13:20Z", metadata.GetProperty("timestamp").GetString());
        var image_ = metadata.GetProperty("component");
        Assert.Equal("hello", image_.GetProperty("name").GetString());
        Assert.Equal("1.2.3", image_.GetProperty("version").GetString());
        Assert.Equal(Convert.ToHexStringLower(ImageHashOf(image)), image_.GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.Equal(["uk-ld 0.1.0-dev-abc", "uk-cc 0.1.0-dev-abc"], metadata.GetProperty("tools").GetProperty("components").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString() + " " + t.GetProperty("version").GetString()));

        var components = root.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        string? Licence(string name) => components[name].TryGetProperty("licenses", out var licences)
            ? (licences[0].TryGetProperty("expression", out var e) ? e.GetString() : "name:" + licences[0].GetProperty("license").GetProperty("name").GetString()) : null;
        string? Version(string name) => components[name].TryGetProperty("version", out var v) ? v.GetString() : null;
        Assert.Equal(["hello", "Unikernel.Sdk", "Runtime.Pack", "Microsoft.DotNet.ILCompiler", "Npgsql", "Old.Lib", "openssl", "tzdata", "musl"],
            components.Keys);
        Assert.Equal("10.0.3", Version("Npgsql"));
        Assert.Equal("pkg:nuget/Npgsql@10.0.3", components["Npgsql"].GetProperty("purl").GetString());
        Assert.Equal("PostgreSQL", Licence("Npgsql"));
        Assert.Equal("https://example.org/licence", components["Old.Lib"].GetProperty("licenses")[0].GetProperty("license").GetProperty("url").GetString());
        Assert.Equal("excluded", components["Microsoft.DotNet.ILCompiler"].GetProperty("scope").GetString());
        Assert.False(components["Npgsql"].TryGetProperty("scope", out _));
        Assert.Equal("framework", components["Runtime.Pack"].GetProperty("type").GetString());
        Assert.Equal("MIT", Licence("Runtime.Pack"));
        Assert.Equal("1.0.0", Version("Runtime.Pack"));
        Assert.Equal("3.0.19-1~deb12u2", Version("openssl"));
        Assert.Equal("Apache-2.0", Licence("openssl"));
        Assert.Equal("name:public domain", Licence("tzdata"));
        Assert.Equal("1.2.3-1", Version("musl"));
        // The kernel's inputs, by hash, inside the package that carries them.
        Assert.Equal(["boot.o", "kernel.o"], components["Unikernel.Sdk"].GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var dependencies = root.GetProperty("dependencies").EnumerateArray().ToDictionary(d => d.GetProperty("ref").GetString()!);
        Assert.Equal(["pkg:nuget/Old.Lib@2.1.0"], dependencies["pkg:nuget/Npgsql@10.0.3"].GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()));
        Assert.DoesNotContain("pkg:nuget/Microsoft.DotNet.ILCompiler@10.0.12",
            dependencies[UkSbomFormat.ImageRef].GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()));
    }

    /// <summary>A component named by image paths (tzdata's record: image:/usr/share/zoneinfo) is listed only when the image
    /// carries files there, as uk-ld --time-zones-if-read leaves them out of an app that reads no time zones.</summary>
    [Fact]
    public void AComponentNamedByAnImagePathIsListedOnlyWhenTheImageHoldsFilesThere()
    {
        string zone = Write("zoneinfo/UTC", "TZif2");
        string files = Write("files.txt", $"file\t/usr/share/zoneinfo/UTC\t{zone}\n");
        string sbom = Write("obj/sbom-paths.txt", string.Join('\n',
            "component\tdata\tzones\t1\t\t\timage:/usr/share/zoneinfo\tthe zone files",
            "component\tdata\tcerts\t1\t\t\timage:/etc/ssl/certs;image:/usr/share/ca-certificates\tthe CA bundle",
            "component\tdata\tplain\t1\t\t\t\talways") + "\n");
        string output = Path.Combine(_harness.Directory, "paths.img");
        string[] kernel = [_harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())), _harness.Write("kernel.o", AppEmbeddingTests.KernelStub())];
        Linker.LinkToFiles(CommandLine.Parse(["-o", output, .. kernel, "--app", _harness.LinkStaticApp(), "--files", files, "--sbom", sbom])!);

        using var document = JsonDocument.Parse(Section(ReadImage(output), UkSbomFormat.SectionName)!.Value.Bytes);
        var names = document.RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("zones", names);
        Assert.Contains("plain", names);
        Assert.DoesNotContain("certs", names);
    }

    [SkippableFact]
    public void TheDocumentIsValidAgainstTheCycloneDx15Schema()
    {
        byte[] image = LinkImage(Path.Combine(_harness.Directory, "sbom.img"), Manifest(), filesTime: "1700000000");
        string document = Write("sbom.cdx.json", Encoding.UTF8.GetString(Section(image, UkSbomFormat.SectionName)!.Value.Bytes));
        var result = Unikernel.Tests.Sbom.CycloneDxSchema.Validate(PublishedNativeAotApps.RepositoryRoot, document);
        Skip.If(result is null, "node or tests/sbom-schema/node_modules is missing (tests/install-reference-tools.sh installs them)");
        Assert.True(result!.Value.Valid, result.Value.Output);
    }

    [Fact]
    public void TheSameInputsGiveTheSameImageAndSbomBytes()
    {
        string manifest = Manifest();
        byte[] first = LinkImage(Path.Combine(_harness.Directory, "a.img"), manifest);
        byte[] second = LinkImage(Path.Combine(_harness.Directory, "b.img"), manifest);
        Assert.Equal(first, second);
        Assert.DoesNotContain("timestamp", Encoding.UTF8.GetString(Section(first, UkSbomFormat.SectionName)!.Value.Bytes));
    }

    [Fact]
    public void ASerialNumberIsTheVersion5UuidOfTheImageHash()
    {
        // RFC 4122's own example is a version-3/5 name in the DNS namespace; here the URL namespace and a URN name,
        // checked against an independent computation with the BCL's SHA-1.
        byte[] hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] name = Encoding.UTF8.GetBytes("urn:unikernel:image:sha256:" + Convert.ToHexStringLower(hash));
        byte[] sha1 = System.Security.Cryptography.SHA1.HashData([.. Convert.FromHexString("6ba7b8119dad11d180b400c04fd430c8"), .. name]);
        sha1[6] = (byte)((sha1[6] & 0x0F) | 0x50);
        sha1[8] = (byte)((sha1[8] & 0x3F) | 0x80);
        var expected = new Guid(sha1.AsSpan(0, 16), bigEndian: true);
        Assert.Equal("urn:uuid:" + expected.ToString("D"), CycloneDxWriter.SerialNumber(hash));
    }

    [Theory]
    [InlineData("sdk\tUnikernel.Sdk\n", "line 1: a 'sdk' record has 4 tab-separated fields, this one 2")]
    [InlineData("packages\tx\n", "line 1: unknown record 'packages'")]
    [InlineData("component\t\tname\t1\tMIT\t\t\tx\n", "line 1: a component needs a type and a name")]
    public void ABadManifestIsOneLineNamingFileAndLineAndWritesNothing(string text, string expected)
    {
        string manifest = Write("bad-sbom.txt", text);
        string output = Path.Combine(_harness.Directory, "bad.img");
        var error = Assert.Throws<LinkerException>(() => LinkImage(output, manifest));
        Assert.Contains(expected, error.Describe());
        Assert.Contains("bad-sbom.txt", error.Describe());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void ABadAssetsFileIsNamed()
    {
        string assets = Write("obj/broken.assets.json", "{ \"targets\": {");
        string manifest = Write("m.txt", $"nuget-assets\t{assets}\tnet10.0/linux-x64\n");
        var error = Assert.Throws<LinkerException>(() => LinkImage(Path.Combine(_harness.Directory, "x.img"), manifest));
        Assert.Contains("broken.assets.json", error.Describe());
    }

    [Theory]
    [InlineData("pkg:deb/debian/libicu-dev@72.1-3+deb12u1?arch=amd64", "pkg:deb/debian/libicu-dev@72.1-3%2Bdeb12u1?arch=amd64")]
    [InlineData("pkg:deb/debian/libicu-dev@72.1-3%2Bdeb12u1?arch=amd64", "pkg:deb/debian/libicu-dev@72.1-3%2Bdeb12u1?arch=amd64")]
    [InlineData("pkg:deb/debian/x@1:2.0~rc1", "pkg:deb/debian/x@1%3A2.0~rc1")]
    public void PurlVersionsArePercentEncodedOnce(string given, string expected) =>
        Assert.Equal(expected, SbomManifest.EncodePurlVersion(given));

    [Fact]
    public void NuspecLicencesAreReadFromTheXmlNuGetWrites()
    {
        var read = NuspecLicense.Read("""
            <?xml version="1.0" encoding="utf-8"?>
            <!-- <license type="expression">NOT-THIS</license> -->
            <n:package xmlns:n="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <n:metadata minClientVersion="2.12">
                <n:id>A</n:id>
                <n:license type='expression'>Apache-2.0 OR MIT</n:license><n:licenseUrl>https://licenses.nuget.org/Apache-2.0%20OR%20MIT?a=1&amp;b=2</n:licenseUrl>
                <n:description><![CDATA[<license>not this either</license>]]></n:description>
                <n:dependencies><n:group targetFramework="net10.0" /></n:dependencies>
              </n:metadata>
              <n:files><n:license type="expression">NOR-THIS</n:license></n:files>
            </n:package>
            """);
        Assert.Equal(new NuspecLicense.Elements("Apache-2.0 OR MIT", "expression", "https://licenses.nuget.org/Apache-2.0%20OR%20MIT?a=1&b=2", Id: "A"), read);
        Assert.Equal(new NuspecLicense.Elements("LICENSE.txt", "file", null),
            NuspecLicense.Read("<package><metadata><license type=\"file\">LICENSE&#46;txt</license></metadata></package>"));
        Assert.Throws<FormatException>(() => NuspecLicense.Read("<!DOCTYPE package [<!ENTITY x \"y\">]><package/>"));
        Assert.Throws<FormatException>(() => NuspecLicense.Read("<package><metadata>"));
        Assert.Throws<FormatException>(() => NuspecLicense.Read("<package><metadata><license>&nbsp;</license></metadata></package>"));
    }

    [Fact]
    public void SbomNeedsAnApp()
    {
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "x", "k.o", "--sbom", "m.txt"]));
        Assert.Contains("--sbom", error.Message);
    }

    [Fact]
    public void AnAddedSectionKeepsTheOthersAndShstrtabLast()
    {
        byte[] plain = LinkImage(Path.Combine(_harness.Directory, "plain.img"), null);
        byte[] added = NonLoadedSection.Append(plain, "extra", "payload"u8);
        var before = MemoryMarshal.Read<Elf64Header>(plain);
        var after = MemoryMarshal.Read<Elf64Header>(added);
        Assert.Equal(before.SectionCount + 1, after.SectionCount);
        Assert.Equal(after.SectionCount - 1, after.SectionNameTableIndex);
        Assert.Equal("payload"u8.ToArray(), Section(added, "extra")!.Value.Bytes);
        foreach (string name in new[] { ".symtab", ".strtab", ImageInfo.SectionName, "uk_ksyms" })
            Assert.Equal(Section(plain, name)!.Value.Bytes, Section(added, name)!.Value.Bytes);
        Assert.Equal(plain.AsSpan(0, (int)Section(plain, ".shstrtab")!.Value.Header.Offset).Slice(64).ToArray(),
            added.AsSpan(0, (int)Section(plain, ".shstrtab")!.Value.Header.Offset).Slice(64).ToArray());
    }
}
