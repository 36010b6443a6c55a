using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Unikernel.Sdk.Tests;

/// <summary>What `make package` put into Unikernel.Sdk: the build files, the NativeAOT tools, the kernel objects, static ICU and OpenSSL.</summary>
public class PackageContentsTests
{
    [Fact]
    public void ThePackageHoldsTheTargetsTheToolsAndTheKernelObjects()
    {
        using var package = SdkPackage.OpenPackage();
        var files = package.Entries.Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal) && !n.StartsWith("package/", StringComparison.Ordinal)
                        && n != "[Content_Types].xml" && !n.StartsWith("tzdata/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        // Debian's zone files (docs/third-party.md), without right/, posix/ and the building machine's localtime.
        var zones = package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tzdata/zoneinfo/", StringComparison.Ordinal)).ToList();
        Assert.Contains("tzdata/zoneinfo/Europe/Berlin", zones);
        Assert.Contains("tzdata/zoneinfo/zone1970.tab", zones);
        Assert.Contains("tzdata/zoneinfo/tzdata.zi", zones);
        Assert.True(zones.Count > 400, $"{zones.Count} zone files");
        Assert.DoesNotContain(zones, n => n.StartsWith("tzdata/zoneinfo/right/", StringComparison.Ordinal) || n == "tzdata/zoneinfo/localtime");
        files.RemoveAll(zones.Contains);
        Assert.Equal([
            "README.md",
            "Unikernel.Sdk.nuspec",
            "build/Unikernel.Sdk.Inner.props",
            "build/Unikernel.Sdk.props",
            "build/Unikernel.Sdk.targets",
            "kernel/boot.o",
            "kernel/kernel.o",
            "native/icu/components.txt",
            "native/icu/libSystem.Globalization.Native.a",
            "native/icu/libgcc_eh.a",
            "native/icu/libicudata.a",
            "native/icu/libicui18n.a",
            "native/icu/libicuuc.a",
            "native/icu/libstdc++.a",
            "native/openssl/components.txt",
            "native/openssl/crypto-versions.txt",
            "native/openssl/libSystem.Security.Cryptography.Native.OpenSsl.a",
            "native/openssl/libcrypto.a",
            "native/openssl/libssl.a",
            "native/openssl/openssl.copyright",
            "tools/linux-x64/uk-cc",
            "tools/linux-x64/uk-ld",
        ], files);

        // The build files are this checkout's (the package is current).
        foreach (string name in new[] { "Unikernel.Sdk.props", "Unikernel.Sdk.targets", "Unikernel.Sdk.Inner.props" })
            Assert.Equal(File.ReadAllText(Path.Combine(SdkPackage.RepositoryRoot, "sdk", "Unikernel.Sdk", "build", name)),
                Read(package, "build/" + name));

        // The tools are the static executables `make linker-aot` makes; the kernel objects are relocatable x86-64 ELF.
        foreach (string tool in new[] { "tools/linux-x64/uk-cc", "tools/linux-x64/uk-ld" })
        {
            byte[] elf = Bytes(package, tool);
            Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(16))); // ET_EXEC: static, not PIE
            Assert.DoesNotContain(3u, ProgramHeaderTypes(elf)); // no PT_INTERP
        }
        foreach (string obj in new[] { "kernel/boot.o", "kernel/kernel.o" })
        {
            byte[] elf = Bytes(package, obj);
            Assert.Equal((1, 62), (BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(16)), BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(18))));
            Assert.Equal(File.ReadAllBytes(Path.Combine(SdkPackage.RepositoryRoot, "artifacts", obj.Replace("kernel/boot.o", "boot/boot.o"))), elf);
        }

        // Static ICU is `make icu`'s (the trimmed data included), and the globalization shim calls ICU directly: no dlopen.
        foreach (string archive in files.Where(f => f.StartsWith("native/icu/", StringComparison.Ordinal)))
            Assert.Equal(File.ReadAllBytes(Path.Combine(SdkPackage.RepositoryRoot, "artifacts", archive)), Bytes(package, archive));
        string shim = System.Text.Encoding.Latin1.GetString(Bytes(package, "native/icu/libSystem.Globalization.Native.a"));
        Assert.Contains("ucol_openRules", shim);
        Assert.DoesNotContain("dlopen", shim);
        // The static OpenSSL is `make crypto-native`'s, and its versions are written down next to it.
        foreach (string archive in new[] { "libSystem.Security.Cryptography.Native.OpenSsl.a", "libssl.a", "libcrypto.a" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(SdkPackage.RepositoryRoot, "artifacts", "native", "openssl", archive)),
                Bytes(package, "native/openssl/" + archive));
        Assert.Matches(@"^openssl \(libssl-dev\) 3\.\S+\nSystem\.Security\.Cryptography\.Native \(runtime\.linux-x64\.Microsoft\.DotNet\.ILCompiler\) 10\.\S+\n$",
            Read(package, "native/openssl/crypto-versions.txt"));
    }

    [Fact]
    public void TheVersionIsThePrefixAndAContentHashAndThePackageIsADevelopmentDependency()
    {
        using var package = SdkPackage.OpenPackage();
        var nuspec = XDocument.Parse(Read(package, "Unikernel.Sdk.nuspec"));
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("Unikernel.Sdk", metadata.Element(ns + "id")!.Value);
        Assert.Equal(SdkPackage.Version, metadata.Element(ns + "version")!.Value);
        Assert.Equal("true", metadata.Element(ns + "developmentDependency")?.Value);
        Assert.Null(metadata.Element(ns + "dependencies"));

        string prefix = Regex.Match(File.ReadAllText(Path.Combine(SdkPackage.RepositoryRoot, "sdk", "Unikernel.Sdk", "Unikernel.Sdk.csproj")),
            "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
        Assert.Matches($"^{Regex.Escape(prefix)}-dev-[0-9a-f]{{16}}$", SdkPackage.Version);
        // The feed holds this one version only.
        Assert.Equal([Path.GetFileName(SdkPackage.PackagePath)],
            Directory.GetFiles(SdkPackage.Feed, "Unikernel.Sdk.*.nupkg").Select(Path.GetFileName));
    }

    // The product build (Makefile, targets, props, project files outside tests/) names no C compiler, assembler or
    // system linker: the .NET SDK and musl's libc.a are all it needs.
    [Fact]
    public void ProductBuildFilesNameNoCToolchain()
    {
        string root = SdkPackage.RepositoryRoot;
        var files = new List<string> { Path.Combine(root, "Makefile") };
        foreach (string pattern in new[] { "*.targets", "*.props", "*.csproj" })
            files.AddRange(Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories)
                .Where(f => !f.Contains("/artifacts/") && !f.Contains("/tests/") && !f.Contains("/bin/") && !f.Contains("/obj/")));
        var word = new Regex(@"(?<![\w-])(gcc|clang|nasm|ld)(?![\w])", RegexOptions.IgnoreCase);
        var offenders = files.SelectMany(f => File.ReadAllLines(f).Select((line, i) => (f, i, line)))
            .Where(x => word.IsMatch(x.line)).Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    internal static string Read(ZipArchive package, string name)
    {
        using var reader = new StreamReader(package.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    internal static byte[] Bytes(ZipArchive package, string name)
    {
        using var stream = package.GetEntry(name)!.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    internal static List<uint> ProgramHeaderTypes(byte[] elf)
    {
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(56));
        return Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)phoff + i * 56))).ToList();
    }
}
