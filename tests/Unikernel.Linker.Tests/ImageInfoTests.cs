using System.Buffers.Binary;
using System.Text;
using Unikernel.Boot;
using Unikernel.Linker.Synthetic;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

/// <summary>
/// uk_image_info (docs/boot-abi.md): SHA-256 itself, the section's layout where the kernel and tools read it, the image
/// hash's definition, and reproducibility: the same inputs give the same bytes, a changed input a changed hash.
/// </summary>
public sealed class ImageInfoTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The image as the host tools read it: a compressed one (uk-ld --compress) expanded, byte for byte the
    /// uncompressed file (CompressionTests holds the compressed form itself).</summary>
    private static byte[] ReadImage(string path) => UkPayloadCodec.Expand(File.ReadAllBytes(path));

    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Sha256MatchesTheStandardTestVectors(string message, string expected)
    {
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.Hash(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void Sha256IsTheSameInAnyPiecesAndOverManyBlocks()
    {
        var data = new byte[1_000_000];
        data.AsSpan().Fill((byte)'a');
        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Convert.ToHexStringLower(Sha256.Hash(data)));
        var pieces = new Sha256();
        int offset = 0;
        foreach (int size in new[] { 1, 63, 64, 65, 127, 1000, 55, 56 })
        {
            pieces.Append(data.AsSpan(offset, size));
            offset += size;
        }
        pieces.Append(data.AsSpan(offset));
        Assert.Equal(Sha256.Hash(data), pieces.Finish());
    }

    private string[]? _kernelInputs;

    private string[] KernelInputs() => _kernelInputs ??=
    [
        _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())),
        _harness.Write("kernel.o", AppEmbeddingTests.KernelStub()),
    ];

    private string LinkApp(string name = "app")
    {
        string output = Path.Combine(_harness.Directory, name);
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [_harness.Write(name + ".o", AppEmbeddingTests.AppObject())],
        });
        return output;
    }

    private byte[] LinkImage(string app, string output, string? name = "hello", string? version = "1.2.3")
    {
        string[] args = ["-o", output, "--map", output + ".map", .. KernelInputs(), "--app", app,
                         .. name is null ? Array.Empty<string>() : ["--app-name", name],
                         .. version is null ? Array.Empty<string>() : ["--app-version", version]];
        Linker.LinkToFiles(CommandLine.Parse(args)!);
        return ReadImage(output);
    }

    [Fact]
    public void TheSectionOpensThePageAtAppEndWithNameVersionInputsAndTheImageHash()
    {
        string app = LinkApp();
        string output = Path.Combine(_harness.Directory, "hello.img");
        byte[] image = LinkImage(app, output);
        using var stream = new MemoryStream(ReadImage(output));
        var elf = LibObjectFile.Elf.ElfFile.Read(stream);

        // Where the kernel looks: uk_boot_info's AppEnd, and below KsymsStart, on one page.
        ulong bootInfo = elf.Address("uk_boot_info");
        ulong appEnd = elf.ReadUInt64(image, bootInfo + BootInfoLayout.AppEnd);
        ulong ksymsStart = elf.ReadUInt64(image, bootInfo + BootInfoLayout.KsymsStart);
        var section = elf.Section(ImageInfo.SectionName);
        Assert.Equal(appEnd, section.VirtualAddress);
        Assert.Equal(elf.Address("__start_uk_image_info"), appEnd);
        Assert.True(ksymsStart >= appEnd + section.Size && ksymsStart < appEnd + 0x1000, "uk_ksyms follows on the same page");
        byte[] bytes = elf.ReadMemory(image, appEnd, (int)section.Size);

        // The fixed header, field by field (the layout boot-abi.md documents and the kernel's ImageInfo reads).
        Assert.Equal("UKIMAGE1", Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal(section.Size, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(0u, section.Size % 8);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(64)));
        Assert.Equal(48u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(68)));
        string Text(int offsetField) => Encoding.UTF8.GetString(bytes,
            (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offsetField)), (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offsetField + 4)));
        Assert.Equal("hello", Text(48));
        Assert.Equal("1.2.3", Text(56));
        int nameEnd = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(48)) + 5;
        Assert.Equal(0, bytes[nameEnd]); // NUL-terminated too

        var info = ImageInfo.Read(bytes);
        Assert.Equal(["boot.o", "kernel.o", "app"], info.Inputs.Select(i => i.Name));
        Assert.Equal([ImageInfo.InputKindLinked, ImageInfo.InputKindLinked, ImageInfo.InputKindApp], info.Inputs.Select(i => i.Kind));
        string[] paths = [.. KernelInputs(), app];
        for (int i = 0; i < paths.Length; i++)
        {
            byte[] file = File.ReadAllBytes(paths[i]);
            Assert.Equal((ulong)file.Length, info.Inputs[i].Size);
            Assert.Equal(Sha256.Hash(file), info.Inputs[i].Sha256);
        }

        // The image hash, recomputed independently from its definition: e_entry, then per PT_LOAD vaddr, memsz, flags,
        // filesz and the bytes, with the hash field zeroed.
        byte[] zeroed = (byte[])image.Clone();
        long field = (long)section.Position + ImageInfo.HashOffset;
        zeroed.AsSpan((int)field, 32).Clear();
        var message = new MemoryStream();
        void U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); message.Write(b); }
        U64(BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(24)));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(56));
        for (int i = 0; i < phnum; i++)
        {
            var header = image.AsSpan((int)phoff + i * 56, 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != 1) continue; // PT_LOAD
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]), fileSize = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
            U64(BinaryPrimitives.ReadUInt64LittleEndian(header[16..]));
            U64(BinaryPrimitives.ReadUInt64LittleEndian(header[40..]));
            U64(BinaryPrimitives.ReadUInt32LittleEndian(header[4..]));
            U64(fileSize);
            message.Write(zeroed, (int)offset, (int)fileSize);
        }
        Assert.Equal(Sha256.Hash(message.ToArray()), info.ImageSha256);
        Assert.Equal(info.ImageSha256, ImageInfo.ComputeImageHash(image, field));
        Assert.Equal(((int)section.Position, (int)section.Size), ImageInfo.Locate(image));

        // The map says the same.
        string[] mapLines = File.ReadAllLines(output + ".map");
        Assert.Contains($"image-info\thello\t1.2.3\t{Convert.ToHexStringLower(info.ImageSha256)}", mapLines);
        Assert.Contains($"image-input\tkernel.o\tlinked\t0x{info.Inputs[1].Size:x}\t{Convert.ToHexStringLower(info.Inputs[1].Sha256)}", mapLines);
    }

    [Fact]
    public void TheSameInputsGiveTheSameImageAndAChangedInputChangesTheHash()
    {
        string app = LinkApp();
        byte[] first = LinkImage(app, Path.Combine(_harness.Directory, "first.img"));
        // Same contents from another folder and file: the image does not depend on where the inputs lay.
        string elsewhere = Path.Combine(_harness.Directory, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        string appCopy = Path.Combine(elsewhere, "app");
        File.Copy(app, appCopy);
        byte[] second = LinkImage(appCopy, Path.Combine(elsewhere, "second.img"));
        Assert.True(first.AsSpan().SequenceEqual(second), "two links of the same inputs differ");

        byte[] Hash(byte[] image) => ImageInfo.Read(image.AsSpan(FindInfo(image))).ImageSha256;
        // Another version: a different hash (the info is part of what is hashed).
        byte[] otherVersion = LinkImage(app, Path.Combine(_harness.Directory, "v2.img"), version: "1.2.4");
        Assert.NotEqual(Hash(first), Hash(otherVersion));
        // One byte of the app's code: a different hash, and the app input's own hash differs.
        byte[] appBytes = File.ReadAllBytes(app);
        // _start begins "31 ff b8 3c 00 00 00" (xor edi, edi; mov eax, 60): make it mov eax, 61.
        int at = appBytes.AsSpan().IndexOf(new byte[] { 0x31, 0xff, 0xb8, 0x3c });
        Assert.True(at > 0);
        appBytes[at + 3] = 0x3d;
        string changedApp = Path.Combine(_harness.Directory, "changed");
        File.WriteAllBytes(changedApp, appBytes);
        byte[] changed = LinkImage(changedApp, Path.Combine(_harness.Directory, "changed.img"));
        Assert.NotEqual(Hash(first), Hash(changed));
        Assert.NotEqual(ImageInfo.Read(first.AsSpan(FindInfo(first))).Inputs[2].Sha256,
            ImageInfo.Read(changed.AsSpan(FindInfo(changed))).Inputs[2].Sha256);
    }

    private static int FindInfo(byte[] image) => ImageInfo.Locate(image)?.Offset ?? -1;

    [Fact]
    public void WithoutNameOrVersionTheAppFileNameAndUnknownAreRecorded()
    {
        string app = LinkApp("myapp");
        byte[] image = LinkImage(app, Path.Combine(_harness.Directory, "plain.img"), name: null, version: null);
        var info = ImageInfo.Read(image.AsSpan(FindInfo(image)));
        Assert.Equal(("myapp", "unknown"), (info.Name, info.Version));
    }

    [Fact]
    public void AnImageWithoutAnAppHasNoImageInfo()
    {
        _harness.Link(KernelInputs());
        Assert.Equal(-1, FindInfo(_harness.OutputBytes));
        Assert.DoesNotContain("image-info", File.ReadAllText(_harness.MapPath));
    }

    [Theory]
    [InlineData(new[] { "--app-name", "x" }, "--app-name and --app-version describe the app of --app; give --app FILE too")]
    [InlineData(new[] { "--app", "a", "--app-name", "two words" }, "--app-name 'two words' contains a space or control character")]
    [InlineData(new[] { "--app", "a", "--app-version", "" }, "--app-version is empty")]
    public void BadNamesAndVersionsAreRefusedWithOneLine(string[] options, string message)
    {
        string app = LinkApp("a");
        string[] args = ["-o", Path.Combine(_harness.Directory, "bad.img"), .. KernelInputs(),
                         .. options.Select(o => o == "a" ? app : o)];
        var error = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(CommandLine.Parse(args)!));
        Assert.Contains(message, error.Describe());
        Assert.False(File.Exists(Path.Combine(_harness.Directory, "bad.img")));
    }
}
