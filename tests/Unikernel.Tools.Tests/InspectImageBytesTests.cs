using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Inspect.Render;
using Unikernel.Tests.Shared;

namespace Unikernel.Tools.Tests;

/// <summary>
/// `uk inspect`'s IMAGE BYTES and EXPANDED columns: how an LZ4 block's bytes are charged to what they expand to, and
/// that on images the real uk-ld links, compressed and not, each column adds up to its total (the file on disk, the image
/// fully expanded) and differs from the other only where something is compressed.
/// </summary>
public sealed class InspectImageBytesTests(InspectImageBytesTests.LinkedHello linked) : IClassFixture<InspectImageBytesTests.LinkedHello>
{
    // ---- the charges of one LZ4 block ----

    private static (byte[] Own, List<(long Position, ulong Bytes)> Overhead, ulong Uncharged) Charge(byte[] block, int expanded, long start = 0)
    {
        var own = new byte[expanded];
        var overhead = new List<(long, ulong)>();
        ulong uncharged = Lz4ByteCharges.Charge(block, own, start, overhead);
        return (own, overhead, uncharged);
    }

    [Fact]
    public void ALiteralIsChargedToItsByteAndASequencesOtherBytesToItsMatch()
    {
        // "abcd", then a match 4 back of 8 bytes ("abcdabcd"), then the last sequence: "xyz".
        byte[] block = [0x44, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 4, 0, 0x30, (byte)'x', (byte)'y', (byte)'z'];
        var (own, overhead, uncharged) = Charge(block, 15, start: 1000);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], own);
        // The token and offset of the first sequence pay for its match (output 4), the last token for "xyz" (output 12).
        Assert.Equal([(1004L, 3UL), (1012L, 1UL)], overhead);
        Assert.Equal(0UL, uncharged);
        Assert.Equal((ulong)block.Length, (ulong)own.Count(b => b == 1) + overhead.Aggregate(0UL, (t, o) => t + o.Bytes));
    }

    [Fact]
    public void LengthBytesArePartOfTheirSequencesCharge()
    {
        // One 'a', then a 29-byte match 1 back (15 in the token, 10 more in a length byte), then an empty last sequence.
        byte[] block = [0x1F, (byte)'a', 1, 0, 10, 0x00];
        var (own, overhead, _) = Charge(block, 30);
        Assert.Equal(1, own.Count(b => b == 1));
        Assert.Equal([(1L, 4UL), (29L, 1UL)], overhead);   // the empty last sequence pays for the block's last byte
        // A block that lies about its lengths is refused, not charged outside the output.
        Assert.Throws<InvalidDataException>(() => Charge(block, 20));
        Assert.Throws<InvalidDataException>(() => Charge([0x50, (byte)'a'], 5));
    }

    // ---- synthetic images: the columns are the file's bytes ----

    [Fact]
    public void AnUncompressedImagesImageBytesAreItsFileBytesAndOnlyPackedFilesExpand()
    {
        using var dir = new TempDirectory();
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("zone data ", 600)));
        byte[] files = ImageFilesReader.Build([("/app/hello", []), ("/usr/share/zoneinfo/UTC", text)], "/app/hello", packWith: Lz4LiteralBlock.Of);
        string image = InspectTests.SyntheticElf(withApp: true, files: files).WriteTo(dir.File("packed.img"));
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });

        InspectTests.AssertAddsUp(report);
        Assert.Equal(new FileInfo(image).Length, report.ImageFileSize);
        foreach (var part in All(report)) Assert.Equal(part.FileBytes, part.ImageBytes);
        foreach (var part in All(report).Where(p => p.Kind is not ("files" or "file-system"))) Assert.Equal(part.FileBytes, part.ExpandedBytes);
        var packed = report.Files.FileSystem!.Packed!;
        var fileSystem = Assert.Single(All(report), p => p.Kind == "file-system");
        // Literal-only blocks are larger than what they hold: expanded, the section is smaller than as packed.
        Assert.Equal(fileSystem.FileBytes - (ulong)packed.StoredBytes + (ulong)packed.ExpandedBytes, fileSystem.ExpandedBytes);
        Assert.True(fileSystem.ExpandedBytes < fileSystem.ImageBytes);

        var output = new StringWriter();
        TextReport.Write(report, output, Cli.TerminalStyle.Plain);
        Assert.Matches(@"PART +IMAGE BYTES +% +EXPANDED +LOADED", output.ToString());
        Assert.Contains("EXPANDED: with uk_files' packed files expanded", output.ToString().Replace('\n', ' '));
    }

    // ---- hello, linked by this checkout's uk-ld with and without --compress ----

    [SkippableFact]
    public void ACompressedImagesPartsAddUpToTheFileAndExpandToTheUncompressedImage()
    {
        Skip.If(linked.Problem is not null, linked.Problem);
        var compressed = linked.Analyze(linked.Compressed!);
        var plain = linked.Analyze(linked.Uncompressed!);
        Assert.NotNull(compressed.Compression);
        Assert.NotNull(compressed.AppMapPath);

        InspectTests.AssertAddsUp(compressed);
        Assert.Equal(new FileInfo(linked.Compressed!).Length, compressed.ImageFileSize);
        // Expanded, the compressed image is the uncompressed one: same parts, same expanded bytes.
        Assert.Equal(plain.Parts.Select(p => (p.Name, p.ExpandedBytes)), compressed.Parts.Select(p => (p.Name, p.ExpandedBytes)));
        Assert.Equal(plain.ExpandedSize, compressed.ExpandedSize);

        // The kernel's objects travel as they are; its function table (after the app), the app's parts and the files
        // travel in the payload, smaller.
        var kernel = Assert.Single(compressed.Parts, p => p.Kind == "kernel");
        foreach (var part in kernel.Children.Where(c => c.Kind is "boot" or "kernel-object")) Assert.Equal(part.FileBytes, part.ImageBytes);
        var table = Assert.Single(kernel.Children, c => c.Kind == "symbols");
        Assert.True(table.ImageBytes < table.ExpandedBytes);
        foreach (string kind in new[] { "files", "runtime", "libc", "app-code" })
        {
            var part = Assert.Single(compressed.Parts, p => p.Kind == kind);
            Assert.True(part.ImageBytes < part.ExpandedBytes, $"{part.Name}: {part.ImageBytes} image bytes, {part.ExpandedBytes} expanded");
            Assert.True(part.ImageBytes > 0, part.Name);
        }
        Assert.Contains(All(compressed), p => p.Kind == "payload-header" && p.ImageBytes > 0 && p.ExpandedBytes == 0);

        var output = new StringWriter();
        TextReport.Write(compressed, output, Cli.TerminalStyle.Plain);
        Assert.Contains("The LZ4 payload's bytes are charged to the parts", output.ToString().Replace('\n', ' '));
        Assert.Matches($@"\ntotal +{Regex(TextReport.N(compressed.ImageFileSize))} +100\.0% +{Regex(TextReport.N(compressed.ExpandedSize))} ", output.ToString());

        using var json = JsonDocument.Parse(JsonReport.Build(compressed).ToJsonString());
        var root = json.RootElement;
        Assert.Equal(compressed.ImageFileSize, root.GetProperty("image").GetProperty("imageBytes").GetInt64());
        Assert.Equal(compressed.ImageFileSize, root.GetProperty("parts").EnumerateArray().Sum(p => p.GetProperty("imageBytes").GetInt64()));
        Assert.Equal((long)compressed.ExpandedSize, root.GetProperty("parts").EnumerateArray().Sum(p => p.GetProperty("expandedBytes").GetInt64()));
    }

    [SkippableFact]
    public void AnUncompressedImageShowsEqualColumnsButForItsPackedFiles()
    {
        Skip.If(linked.Problem is not null, linked.Problem);
        var report = linked.Analyze(linked.Uncompressed!);
        Assert.Null(report.Compression);
        InspectTests.AssertAddsUp(report);
        Assert.Equal(new FileInfo(linked.Uncompressed!).Length, report.ImageFileSize);
        Assert.Equal((ulong)report.FileSize, report.Parts.Aggregate(0UL, (t, p) => t + p.ImageBytes));
        // Part by part, down to namespaces and archive members: computed from the parts' address ranges, not copied.
        foreach (var part in All(report)) Assert.True(part.ImageBytes == part.FileBytes, $"{part.Name}: {part.ImageBytes} image bytes, {part.FileBytes} in the file");
        foreach (var part in All(report).Where(p => p.Kind is not ("files" or "file-system"))) Assert.Equal(part.ImageBytes, part.ExpandedBytes);
        var files = Assert.Single(report.Parts, p => p.Kind == "files");
        Assert.True(files.ExpandedBytes > files.ImageBytes, "the manifest's files are packed by default");
    }

    private static IEnumerable<Part> All(ImageReport report)
    {
        IEnumerable<Part> Walk(Part p) => p.Children.SelectMany(Walk).Prepend(p);
        return report.Parts.SelectMany(Walk);
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    /// <summary>hello linked twice into a scratch folder, with --compress and with --no-compress, with a few files to
    /// pack; Problem says why not when artifacts/ lacks what it takes (make build).</summary>
    public sealed class LinkedHello : IDisposable
    {
        private readonly TempDirectory _dir = new();
        public string? Compressed { get; }
        public string? Uncompressed { get; }
        public string? Problem { get; }

        public LinkedHello()
        {
            string? linker = Artifacts.Find("artifacts/dotnet/bin/Unikernel.Linker/release/uk-ld.dll");
            string? boot = Artifacts.Find("artifacts/boot/boot.o"), kernel = Artifacts.Find("artifacts/kernel/kernel.o");
            // The publish's own executable: its link map (hello.map) lies beside it.
            string? app = Artifacts.Find("artifacts/apps/build/bin/hello/release_linux-x64/native/hello");
            if (linker is null || boot is null || kernel is null || app is null || !File.Exists(app + ".map") && !File.Exists(Path.ChangeExtension(app, ".map")))
            {
                Problem = "uk-ld, boot.o, kernel.o or the hello app and its map are missing from artifacts/: run 'make build' first";
                return;
            }
            string data = _dir.File("appsettings.json");
            File.WriteAllText(data, string.Concat(Enumerable.Range(0, 2000).Select(i => $"{{\"key{i}\": \"value {i % 7}\"}}\n")));
            string manifest = _dir.File("files.txt");
            File.WriteAllText(manifest, $"file\t/app/appsettings.json\t{data}\n");
            Compressed = Link(linker, boot, kernel, app, manifest, "hello-lz4.img", "--compress");
            Uncompressed = Link(linker, boot, kernel, app, manifest, "hello.img", "--no-compress");
        }

        private string Link(string linker, string boot, string kernel, string app, string manifest, string name, string compression)
        {
            string image = _dir.File(name);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string arg in new[] { linker, "-o", image, "--map", image + ".map", boot, kernel, "--app", app, "--app-name", "hello",
                                           "--files", manifest, "--files-time", "0", compression })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
            return image;
        }

        public ImageReport Analyze(string image) => ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = _dir.Path });

        public void Dispose() => _dir.Dispose();
    }
}
