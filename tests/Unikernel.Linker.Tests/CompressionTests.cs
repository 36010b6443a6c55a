using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Unikernel.Boot;
using Unikernel.Formats;
using Unikernel.Linker.Compression;
using Unikernel.Linker.Synthetic;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Tests;

/// <summary>
/// The compressed image (docs/boot-abi.md, "The compressed payload"): our LZ4 block encoder against our decoder (the
/// code the kernel runs), both against the reference `lz4` tool, the decoder against corrupt blocks, and the compress
/// pass on a linked image: what loaders see, the exact inverse the host tools read through, and reproducibility.
/// </summary>
public sealed class CompressionTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static readonly string[] Kinds = ["empty", "one", "short", "zeros", "random", "text", "runs", "mixed", "large"];

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (string kind in Kinds) data.Add(kind);
        return data;
    }

    private static byte[] Input(string kind)
    {
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal) & 0x7fff);
        byte[] Random(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        switch (kind)
        {
            case "empty": return [];
            case "one": return [42];
            case "short": return "abcabcabcab"u8.ToArray();
            case "zeros": return new byte[300_000];
            case "random": return Random(100_000);
            case "text": return System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i % 97}: the quick brown fox {i % 13}\n")));
            case "runs":
            {
                // Matches at every offset from 1 to 20 (the decoder's overlapping copies), of every length up to 300.
                var bytes = new List<byte>();
                for (int offset = 1; offset <= 20; offset++)
                    for (int length = 1; length < 300; length += 37)
                    {
                        byte[] seed = Random(offset);
                        for (int i = 0; i < offset + length; i++) bytes.Add(seed[i % offset]);
                        bytes.AddRange(Random(3));
                    }
                return [.. bytes];
            }
            case "mixed":
            {
                var bytes = new List<byte>();
                for (int i = 0; i < 400; i++)
                {
                    bytes.AddRange(Random(random.Next(0, 40)));
                    if (bytes.Count <= 70) continue;
                    int back = random.Next(1, 70), length = random.Next(4, 60);
                    for (int k = 0; k < length; k++) bytes.Add(bytes[bytes.Count - back]);
                }
                return [.. bytes];
            }
            default:
            {
                // Larger than the 64 KiB window, with matches just inside and just outside it.
                byte[] block = Random(70_000);
                return [.. block, .. block.AsSpan(0, 65_535 + 20), .. new byte[5000], .. block.AsSpan(100, 1000)];
            }
        }
    }

    private static long Decode(ReadOnlySpan<byte> block, Span<byte> output) => UkPayloadCodec.DecodeBlock(block, output);

    public static TheoryData<string, int> InputsAndShortestMatches()
    {
        var data = new TheoryData<string, int>();
        foreach (string kind in Kinds)
            foreach (int shortest in new[] { 4, Lz4BlockEncoder.ShortestMatch })
                data.Add(kind, shortest);
        return data;
    }

    [Theory]
    [MemberData(nameof(InputsAndShortestMatches))]
    public void OurDecoderExpandsOurEncoderExactly(string kind, int shortestMatch)
    {
        byte[] input = Input(kind);
        byte[] block = Lz4BlockEncoder.Encode(input, shortestMatch);
        // Guard bytes on both sides: the wide copies must stay inside the destination.
        var buffer = new byte[input.Length + 64];
        buffer.AsSpan().Fill(0xA5);
        Assert.Equal(input.Length, Decode(block, buffer.AsSpan(32, input.Length)));
        Assert.Equal(input, buffer.AsSpan(32, input.Length).ToArray());
        Assert.All(buffer.AsSpan(0, 32).ToArray(), b => Assert.Equal(0xA5, b));
        Assert.All(buffer.AsSpan(32 + input.Length).ToArray(), b => Assert.Equal(0xA5, b));
        if (kind is "zeros" or "text" or "runs") Assert.True(block.Length < input.Length / 3, $"{kind}: {block.Length} of {input.Length} bytes");
        Assert.True(block.Length <= Lz4BlockEncoder.MaxEncodedLength(input.Length));
    }

    [Fact]
    public void TheEncoderIsDeterministic()
    {
        byte[] input = Input("mixed");
        Assert.Equal(Lz4BlockEncoder.Encode(input), Lz4BlockEncoder.Encode(input));
    }

    [Fact]
    public void CorruptBlocksAreRefusedAndNeverWritePastTheDestination()
    {
        byte[] input = Input("mixed");
        byte[] block = Lz4BlockEncoder.Encode(input);
        var random = new Random(7);
        var buffer = new byte[input.Length + 64];
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] corrupt = (byte[])block.Clone();
            int cut = trial % 3 == 0 ? random.Next(corrupt.Length) : corrupt.Length;
            if (trial % 3 != 0)
                for (int flips = 0; flips < 1 + trial % 4; flips++) corrupt[random.Next(corrupt.Length)] ^= (byte)(1 << random.Next(8));
            int capacity = trial % 5 == 0 ? random.Next(input.Length) : input.Length;
            buffer.AsSpan().Fill(0x5A);
            long written = Decode(corrupt.AsSpan(0, cut), buffer.AsSpan(32, capacity));
            Assert.True(written <= capacity);
            Assert.All(buffer.AsSpan(0, 32).ToArray(), b => Assert.Equal(0x5A, b));
            Assert.All(buffer.AsSpan(32 + capacity).ToArray(), b => Assert.Equal(0x5A, b));
        }
        // A truncated block and an offset before the output's start are named as faults (negative results).
        Assert.True(Decode(block.AsSpan(0, block.Length / 2), new byte[input.Length]) < 0);
        Assert.True(Decode([0x00, 0x01, 0x00], new byte[64]) < 0);    // a match with no output before it
        Assert.True(Decode([0x10, (byte)'a', 0x02, 0x00], new byte[64]) < 0);   // offset 2 after 1 byte
        Assert.Equal(-1, Decode([], new byte[8]));
    }

    /// <summary>lz4's legacy frame (magic 0x184C2102, then a little-endian u32 size and a block): no header checksum,
    /// one block of up to 8 MiB of output, which every lz4 since r1xx reads and writes (-l).</summary>
    private static byte[] LegacyFrame(byte[] block) =>
        [.. BitConverter.GetBytes(0x184C2102u), .. BitConverter.GetBytes((uint)block.Length), .. block];

    private static string? Lz4Tool() =>
        new[] { "/usr/bin/lz4", "/bin/lz4" }.FirstOrDefault(File.Exists);

    private byte[] RunLz4(string arguments, byte[] input)
    {
        string inputPath = _harness.Write("lz4-input", input);
        string outputPath = inputPath + ".out";
        using var process = Process.Start(new ProcessStartInfo(Lz4Tool()!, $"{arguments} -f -q {inputPath} {outputPath}")
        { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"lz4 {arguments}: {error}");
        return File.ReadAllBytes(outputPath);
    }

    [SkippableTheory]
    [MemberData(nameof(Inputs))]
    public void TheReferenceLz4ToolExpandsOurBlocks(string kind)
    {
        Skip.If(Lz4Tool() is null, "the lz4 tool (Debian package lz4) is not installed");
        byte[] input = Input(kind);
        Assert.Equal(input, RunLz4("-d", LegacyFrame(Lz4BlockEncoder.Encode(input))));
    }

    [SkippableTheory]
    [InlineData("-1")]
    [InlineData("-9")]
    [InlineData("-12")]
    public void OurDecoderExpandsTheReferenceLz4ToolsBlocks(string level)
    {
        Skip.If(Lz4Tool() is null, "the lz4 tool (Debian package lz4) is not installed");
        foreach (string kind in new[] { "text", "runs", "mixed", "large", "random", "zeros" })
        {
            byte[] input = Input(kind);
            byte[] frame = RunLz4($"-l {level}", input);
            Assert.Equal(0x184C2102u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4));
            Assert.Equal(frame.Length, 8 + size);   // inputs below 8 MiB: one block
            var output = new byte[input.Length];
            Assert.Equal(input.Length, Decode(frame.AsSpan(8, size), output));
            Assert.Equal(input, output);
        }
    }

    private string[]? _kernelInputs;

    private string[] KernelInputs() => _kernelInputs ??=
    [
        _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())),
        _harness.Write("kernel.o", AppEmbeddingTests.KernelStub()),
    ];

    private byte[] LinkImage(string app, string name, params string[] extra)
    {
        string output = Path.Combine(_harness.Directory, name);
        string files = _harness.Write(name + ".files", System.Text.Encoding.UTF8.GetBytes($"file\t/data/words.txt\t{_harness.Write(name + ".words", System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compressible words ", 3000))))}\n"));
        Linker.LinkToFiles(CommandLine.Parse(["-o", output, .. KernelInputs(), "--app", app, "--files", files, .. extra])!);
        return File.ReadAllBytes(output);
    }

    private static List<Elf64ProgramHeader> Loads(byte[] image)
    {
        var elf = MemoryMarshal.Read<Elf64Header>(image);
        return Enumerable.Range(0, elf.ProgramHeaderCount)
            .Select(i => MemoryMarshal.Read<Elf64ProgramHeader>(image.AsSpan((int)elf.ProgramHeaderOffset + i * ProgramHeaderSize)))
            .Where(h => h.Type == PT_LOAD).ToList();
    }

    private static ulong BootInfoField(byte[] image, int field)
    {
        using var stream = new MemoryStream(image);
        var elf = LibObjectFile.Elf.ElfFile.Read(stream);
        return elf.ReadUInt64(image, elf.Address("uk_boot_info") + (ulong)field);
    }

    [Fact]
    public void ACompressedImageLoadsThePayloadAboveZeroFilledSegmentsAndExpandsToWhatTheKernelRuns()
    {
        string app = _harness.LinkStaticApp();
        byte[] compressed = LinkImage(app, "compressed.img", "--compress");
        byte[] plain = LinkImage(app, "plain.img");
        Assert.True(compressed.Length < plain.Length, $"{compressed.Length} vs {plain.Length} bytes");
        Assert.Null(UkPayloadCodec.Find(plain));
        Assert.Equal(0UL, BootInfoField(plain, BootInfoLayout.PayloadStart));

        // What a loader sees: the kernel's segments as without compression, every PT_LOAD from the app's window up
        // without file bytes (memsz kept), and one more read-only PT_LOAD, the highest, at PayloadStart.
        var payload = UkPayloadCodec.Find(compressed)!;
        ulong payloadStart = BootInfoField(compressed, BootInfoLayout.PayloadStart);
        ulong appStart = BootInfoField(compressed, BootInfoLayout.AppStart);
        Assert.Equal(payloadStart, payload.Address);
        Assert.Equal(0UL, payloadStart % 0x1000);
        var loads = Loads(compressed);
        var plainLoads = Loads(plain);
        Assert.Equal(plainLoads.Count + 1, loads.Count);
        Assert.Equal(loads.OrderBy(h => h.VirtualAddress).Select(h => h.VirtualAddress), loads.Select(h => h.VirtualAddress));
        var last = loads[^1];
        Assert.Equal((PF_R, payloadStart, payload.Header.Size), (last.Flags, last.VirtualAddress, (uint)last.FileSize));
        for (int i = 0; i < plainLoads.Count; i++)
        {
            Assert.Equal((plainLoads[i].VirtualAddress, plainLoads[i].MemorySize, plainLoads[i].Flags),
                (loads[i].VirtualAddress, loads[i].MemorySize, loads[i].Flags));
            bool inWindow = plainLoads[i].VirtualAddress >= appStart;
            Assert.Equal(inWindow ? 0UL : plainLoads[i].FileSize, loads[i].FileSize);
            Assert.True(loads[i].VirtualAddress + loads[i].MemorySize <= payloadStart);
            if (inWindow) Assert.Contains(payload.Regions, r => r.Address == plainLoads[i].VirtualAddress && r.FileSize == plainLoads[i].FileSize);
        }
        Assert.Equal(plainLoads.Count(h => h.VirtualAddress >= appStart), payload.Regions.Count);

        // The host's inverse gives the image the kernel runs after expanding: the uncompressed one, except that its
        // boot info names the payload (and so the image hash differs), and its hash verifies.
        byte[] expanded = UkPayloadCodec.Expand(compressed);
        Assert.Equal(plain.Length, expanded.Length);
        var differing = Enumerable.Range(0, plain.Length).Where(i => plain[i] != expanded[i]).ToList();
        var info = ImageInfo.Locate(expanded)!.Value;
        long hashField = info.Offset + ImageInfo.HashOffset;
        using var stream = new MemoryStream(plain);
        var symtab = LibObjectFile.Elf.ElfFile.Read(stream).Section(".symtab");
        Assert.All(differing, i => Assert.True(i >= hashField && i < hashField + 32 || IsBootInfoPayloadField(plain, i)
            || (ulong)i >= symtab.Position && (ulong)i < symtab.Position + symtab.Size, $"byte {i} differs"));   // __uk_payload_start's value
        Assert.Equal(expanded.AsSpan((int)hashField, 32).ToArray(), ImageInfo.ComputeImageHash(expanded, hashField));
    }

    private static bool IsBootInfoPayloadField(byte[] image, int fileOffset)
    {
        using var stream = new MemoryStream(image);
        var elf = LibObjectFile.Elf.ElfFile.Read(stream);
        ulong address = elf.Address("uk_boot_info") + BootInfoLayout.PayloadStart;
        var segment = Loads(image).First(h => address >= h.VirtualAddress && address < h.VirtualAddress + h.FileSize);
        long field = (long)(segment.Offset + (address - segment.VirtualAddress));
        return fileOffset >= field && fileOffset < field + 8;
    }

    [Fact]
    public void TheSameInputsGiveTheSameCompressedBytes()
    {
        string app = _harness.LinkStaticApp();
        Assert.Equal(LinkImage(app, "first.img", "--compress"), LinkImage(app, "second.img", "--compress"));
    }

    [Fact]
    public void UncompressedIsTheDefaultAndCompressNeedsAnApp()
    {
        Assert.False(CommandLine.Parse(["-o", "x.img", "--app", "app", "boot.o"])!.Compress);
        Assert.True(CommandLine.Parse(["-o", "x.img", "--app", "app", "--compress", "boot.o"])!.Compress);
        Assert.False(CommandLine.Parse(["-o", "x.img", "--app", "app", "--no-compress", "boot.o"])!.Compress);
        Assert.False(CommandLine.Parse(["-o", "kernel.elf", "boot.o"])!.Compress);
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "kernel.elf", "--compress", "boot.o"]));
        Assert.Contains("--app", error.Message);
    }

    [Fact]
    public void ACorruptPayloadIsNamedByTheHostReader()
    {
        string app = _harness.LinkStaticApp();
        byte[] image = LinkImage(app, "corrupt.img", "--compress");
        var payload = UkPayloadCodec.Find(image)!;
        var region = payload.Regions[0];
        image[(int)(payload.FileOffset + region.DataOffset)] ^= 0xFF;   // the first token: lengths change
        var error = Assert.Throws<InvalidDataException>(() => UkPayloadCodec.Expand(image));
        Assert.Contains(UkPayloadFormat.SectionName, error.Message);
        Assert.Contains($"0x{region.Address:x}", error.Message);
    }

    // Packed files (formats/UkFilesFormat.cs, "Packed files"): zone-file-like contents, more than one 64 KiB block.
    private List<UkFilesItem> ZoneLikeFiles()
    {
        var random = new Random(17);
        var items = new List<UkFilesItem>();
        for (int i = 0; i < 300; i++)
        {
            var bytes = new List<byte>("TZif2\0\0\0"u8.ToArray());
            // Zones share their rules' transition times, shifted by whole hours, as tzdata's do.
            int transitions = random.Next(10, 200), rule = i % 4;
            long time = -2_000_000_000 + 3600 * random.Next(-12, 13);
            for (int t = 0; t < transitions; t++) { time += (t % 2 == 0 ? 15_724_800 : 15_811_200) + 604_800 * ((t + rule) % 3 - 1); bytes.AddRange(BitConverter.GetBytes((int)time)); }
            for (int t = 0; t < transitions; t++) bytes.Add((byte)(t % 2));
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes($"LMT\0CET\0CEST\0zone {i}\n"));
            items.Add(new UkFilesItem($"/usr/share/zoneinfo/Area/Zone{i:D3}", UkFilesFormat.TypeRegular | 0x1A4, [.. bytes]));
        }
        items.Add(new UkFilesItem("/usr/share/zoneinfo/Area/Alias", UkFilesFormat.TypeRegular | 0x1A4, items[3].Data));
        return items;
    }

    [SkippableFact]
    public void PackedFilesRoundTripAndTheReferenceLz4ToolExpandsEveryBlock()
    {
        var items = ZoneLikeFiles();
        items.Add(new UkFilesItem(ImageFiles.EnvironmentPath, UkFilesFormat.TypeRegular | 0x1A4, "A=1\0"u8.ToArray()));
        byte[] section = UkFilesCodec.Encode(items, executablePath: null, packing: ImageFiles.Packing);
        byte[] plain = UkFilesCodec.Encode(items, executablePath: null);
        Assert.True(section.Length < plain.Length * 0.6, $"packed {section.Length} vs {plain.Length} bytes");

        var decoded = UkFilesCodec.Decode(section);
        Assert.Equal(UkFilesCodec.Decode(plain).Items.Select(i => (i.Path, i.Mode, Convert.ToHexString(i.Data))),
            decoded.Items.Select(i => (i.Path, i.Mode, Convert.ToHexString(i.Data))));
        var header = MemoryMarshal.Read<UkFilesHeader>(section);
        long distinct = items.Where(i => i.Path != ImageFiles.EnvironmentPath).Select(i => Convert.ToHexString(i.Data)).Distinct().Sum(h => h.Length / 2L);
        Assert.Equal((distinct + ImageFiles.PackedBlockSize - 1) / ImageFiles.PackedBlockSize, header.BlockCount);
        Assert.True(header.BlockCount >= 2);
        Assert.Equal((301, distinct, (int)header.BlockCount), (decoded.Packed!.FileCount, decoded.Packed.ExpandedBytes, decoded.Packed.BlockCount));   // the alias too

        // The default environment stays in place: the kernel reads it at boot without expanding anything.
        for (int i = 0; i < header.EntryCount; i++)
        {
            var entry = MemoryMarshal.Read<UkFilesEntry>(section.AsSpan((int)(header.EntriesOffset + header.EntrySize * (uint)i)));
            bool isEnvironment = decoded.Items[i].Path == ImageFiles.EnvironmentPath;
            bool isZone = decoded.Items[i].Path.Contains("/Area/", StringComparison.Ordinal);
            Assert.Equal(isZone, (entry.Mode & UkFilesFormat.ModePacked) != 0);
            if (isEnvironment) Assert.Equal("A=1\0"u8.ToArray(), section.AsSpan((int)entry.DataOffset, (int)entry.Size).ToArray());
        }

        Skip.If(Lz4Tool() is null, "the lz4 tool (Debian package lz4) is not installed");
        var stream = new List<byte>();
        for (int b = 0; b < header.BlockCount; b++)
        {
            var block = MemoryMarshal.Read<UkFilesBlock>(section.AsSpan((int)header.BlockTableOffset + UkFilesFormat.BlockRecordSize * b));
            byte[] expanded = RunLz4("-d", LegacyFrame(section.AsSpan((int)block.DataOffset, (int)block.StoredSize).ToArray()));
            Assert.Equal((int)block.ExpandedSize, expanded.Length);
            stream.AddRange(expanded);
        }
        // Record order (Alias sorts first and brings Zone003's bytes), each distinct content once.
        var zoneBytes = decoded.Items.Where(i => i.Path.Contains("/Area/", StringComparison.Ordinal))
            .DistinctBy(i => Convert.ToHexString(i.Data)).SelectMany(i => i.Data);
        Assert.Equal(zoneBytes, stream);
    }

    [Fact]
    public void ACorruptPackedBlockIsNamedByTheHostReader()
    {
        byte[] section = UkFilesCodec.Encode(ZoneLikeFiles(), executablePath: null, packing: ImageFiles.Packing);
        var header = MemoryMarshal.Read<UkFilesHeader>(section);
        var block = MemoryMarshal.Read<UkFilesBlock>(section.AsSpan((int)header.BlockTableOffset + UkFilesFormat.BlockRecordSize));
        section[block.DataOffset] = 0x0F;   // no literals, then a match at offset 0
        section[block.DataOffset + 1] = 0;
        section[block.DataOffset + 2] = 0;
        var error = Assert.Throws<InvalidDataException>(() => UkFilesCodec.Decode(section));
        Assert.Contains("uk_files block 1 is corrupt", error.Message);

        header.Codec = 7;
        MemoryMarshal.Write(section, in header);
        Assert.Contains("codec 7", Assert.Throws<InvalidDataException>(() => UkFilesCodec.Decode(section)).Message);
    }

    [Fact]
    public void FilesArePackedByDefaultAndNoPackFilesKeepsThemInPlace()
    {
        string app = _harness.LinkStaticApp();
        byte[] packed = LinkImage(app, "packed.img");
        byte[] inPlace = LinkImage(app, "in-place.img", "--no-pack-files");
        Assert.Equal(packed, LinkImage(app, "packed-again.img"));
        Assert.True(packed.Length < inPlace.Length, $"{packed.Length} vs {inPlace.Length} bytes");
        Assert.True(CommandLine.Parse(["-o", "x.img", "--app", "app", "boot.o"])!.PackFiles);
        Assert.False(CommandLine.Parse(["-o", "x.img", "--app", "app", "--no-pack-files", "boot.o"])!.PackFiles);

        UkFilesContents FilesOf(byte[] image)
        {
            using var stream = new MemoryStream(image);
            var elf = LibObjectFile.Elf.ElfFile.Read(stream);
            var section = elf.Section(ImageFiles.SectionName);
            return UkFilesCodec.Decode(image.AsSpan((int)section.Position, (int)section.Size));
        }
        var fromPacked = FilesOf(packed);
        var fromInPlace = FilesOf(inPlace);
        Assert.Equal(fromInPlace.Items.Select(i => (i.Path, Convert.ToHexString(i.Data))), fromPacked.Items.Select(i => (i.Path, Convert.ToHexString(i.Data))));
        Assert.Equal(1, fromPacked.Packed!.FileCount);   // /data/words.txt; /app/NAME is empty
        Assert.Null(fromInPlace.Packed);
    }
}
