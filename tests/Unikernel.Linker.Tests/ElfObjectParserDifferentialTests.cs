using Unikernel.Linker.Input;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Tests;

/// <summary>
/// The span-based <see cref="ElfObjectParser"/> must build exactly the model the LibObjectFile-based
/// reference reader builds, on real compiler output: our boot stub, every member of musl's libc.a and
/// of the NativeAOT runtime archives, and ILC objects where a build left them.
/// </summary>
public class ElfObjectParserDifferentialTests
{
    public static TheoryData<string> Inputs()
    {
        var inputs = new TheoryData<string> { "boot", "/usr/lib/x86_64-linux-musl/libc.a" };
        if (NativeAotRuntimeDirectory() is { } runtime)
        {
            foreach (var archive in Directory.GetFiles(runtime, "*.a").Order(StringComparer.Ordinal))
                inputs.Add(archive);
            inputs.Add(Path.Combine(runtime, "libbootstrapper.o"));
        }
        // ILC objects from earlier builds (the kernel, the ASP.NET benchmark app), when present.
        foreach (var ilcObject in new[] { "artifacts/kernel/kernel.o",
                     "artifacts/bench/link/http/app/obj/http/release_linux-x64/native/http.o" })
        {
            string path = Path.Combine(PublishedNativeAotApps.RepositoryRoot, ilcObject);
            if (File.Exists(path))
                inputs.Add(path);
        }
        return inputs;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ParserBuildsTheSameModelAsTheReferenceReader(string input)
    {
        int compared = 0;
        foreach (var (path, bytes) in Objects(input))
        {
            var expected = Reference.LibObjectFileReader.Read(path, 7, bytes);
            var actual = ElfObjectParser.Read(path, 7, bytes);
            AssertSameModel(expected, actual);
            compared++;
        }
        Assert.True(compared > 0, $"no objects in {input}");
    }

    private static IEnumerable<(string Path, byte[] Bytes)> Objects(string input)
    {
        if (input == "boot")
        {
            yield return ("boot.o", Unikernel.Boot.ElfObjectWriter.Write(Unikernel.Boot.BootStub.Build()));
            yield break;
        }
        byte[] bytes = File.ReadAllBytes(input);
        if (!ArchiveReader.IsArchive(bytes))
        {
            yield return (input, bytes);
            yield break;
        }
        var archive = ArchiveReader.Read(input, bytes);
        foreach (var member in archive.Index.Select(entry => entry.Member).Distinct())
            yield return (archive.MemberPath(member), archive.ContentsOf(member));
    }

    private static string? NativeAotRuntimeDirectory()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string package = Path.Combine(packages, "microsoft.netcore.app.runtime.nativeaot.linux-x64");
        if (!Directory.Exists(package))
            return null;
        return Directory.GetDirectories(package).Order(StringComparer.Ordinal)
            .Select(version => Path.Combine(version, "runtimes", "linux-x64", "native"))
            .LastOrDefault(Directory.Exists);
    }

    private static void AssertSameModel(InputFile expected, InputFile actual)
    {
        string where = expected.Path;
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Order, actual.Order);
        Assert.True(expected.Sections.Length == actual.Sections.Length, $"{where}: section count");
        for (int i = 0; i < expected.Sections.Length; i++)
        {
            var (e, a) = (expected.Sections[i], actual.Sections[i]);
            Assert.True((e is null) == (a is null), $"{where}: section {i} presence");
            if (e is null || a is null)
                continue;
            string section = $"{where}: section {i} {e.Name}";
            Assert.True(e.Name == a.Name, $"{section}: name '{a.Name}'");
            Assert.True(e.Type == a.Type && e.Flags == a.Flags && e.Alignment == a.Alignment && e.Size == a.Size
                        && e.IsLive == a.IsLive, $"{section}: header fields");
            Assert.True(ReferenceEquals(a.File, actual), $"{section}: owner");
            Assert.True(e.HasContents == a.HasContents && e.Contents.SequenceEqual(a.Contents), $"{section}: contents");
            Assert.True(e.Relocations.SequenceEqual(a.Relocations), $"{section}: relocations");
        }

        Assert.True(expected.Symbols.Length == actual.Symbols.Length, $"{where}: symbol count");
        for (int i = 0; i < expected.Symbols.Length; i++)
        {
            var (e, a) = (expected.Symbols[i], actual.Symbols[i]);
            Assert.True(e.Name == a.Name && e.Binding == a.Binding && e.Type == a.Type && e.Size == a.Size
                        && e.Kind == a.Kind && e.Value == a.Value, $"{where}: symbol {i} '{e.Name}'");
            int expectedSection = e.Section is null ? -1 : Array.IndexOf(expected.Sections, e.Section);
            int actualSection = a.Section is null ? -1 : Array.IndexOf(actual.Sections, a.Section);
            Assert.True(expectedSection == actualSection, $"{where}: symbol {i} '{e.Name}' section");
        }

        Assert.True(expected.ComdatGroups.Count == actual.ComdatGroups.Count, $"{where}: COMDAT group count");
        for (int i = 0; i < expected.ComdatGroups.Count; i++)
        {
            var (e, a) = (expected.ComdatGroups[i], actual.ComdatGroups[i]);
            Assert.True(e.Signature == a.Signature && e.GroupSectionName == a.GroupSectionName
                        && e.MemberSectionIndices.SequenceEqual(a.MemberSectionIndices), $"{where}: COMDAT group {i}");
        }
    }
}
