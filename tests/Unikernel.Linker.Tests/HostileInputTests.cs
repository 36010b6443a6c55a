using System.Buffers.Binary;
using System.Text.RegularExpressions;
using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Inputs that used to crash uk-ld (an unhandled exception, exit 134) or to be accepted wrongly, each now a one-line
/// error naming the file and the field: the cases the mutation fuzzer and issue 12 found, and their relatives.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The file offset of section <paramref name="name"/>'s header in an object the builder wrote.</summary>
    internal static int SectionHeader(byte[] elf, string name)
    {
        int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(40));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(60));
        int namesHeader = table + 64 * BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(62));
        int names = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(namesHeader + 24));
        for (int i = 1; i < count; i++)
        {
            int header = table + 64 * i;
            int nameAt = names + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(header));
            int end = Array.IndexOf(elf, (byte)0, nameAt);
            if (System.Text.Encoding.ASCII.GetString(elf, nameAt, end - nameAt) == name)
                return header;
        }
        throw new ArgumentException($"no section {name}");
    }

    private static byte[] Patch(TestObjectBuilder builder, string section, int field, ulong value)
    {
        byte[] bytes = builder.Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(SectionHeader(bytes, section) + field), value);
        return bytes;
    }

    private const int AlignmentField = 48, OffsetField = 24;

    [Fact]
    public void ASectionAlignmentOf2To63IsRefusedNamingTheSection()
    {
        string a = _harness.Write("a.o", Patch(LinkTests.Caller().Data(".data", new byte[8]), ".data", AlignmentField, 1UL << 63));
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal($"uk-ld: error: {a}: .data: corrupt ELF file: section alignment 0x8000000000000000 is too large " +
                     "(at most 0x100000000)", _harness.LinkError(a, b));
    }

    [Fact]
    public void ASectionAlignmentOf2GiBIsRefusedNamingTheSection()
    {
        var obj = LinkTests.Caller().ReadOnly(".rodata", new byte[8]).ReadOnly(".rodata.big", new byte[8], alignment: 0x8000_0000);
        string a = _harness.Write("a.o", obj);
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal($"uk-ld: error: {a}: .rodata.big: section (0x8 bytes, alignment 0x80000000) would make the image file " +
                     "larger than uk-ld can write (0x7fffffc7 bytes)", _harness.LinkError(a, b));
    }

    [Fact]
    public void ASectionSizeNear2To64IsRefusedNamingTheSection()
    {
        string a = _harness.Write("a.o", LinkTests.Caller().Bss(".bss", 0xFFFF_FFFF_FFFF_F000));
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Matches($"^uk-ld: error: {Regex.Escape(a)}: \\.bss: section size 0xfffffffffffff000 at 0x[0-9a-f]+ runs past " +
                       @"the highest address an image can use \(0x800000000000\)$", _harness.LinkError(a, b));
    }

    [Fact]
    public void AKernelImageEndingAbove4MiBIsRefusedNamingTheSegment()
    {
        string a = _harness.Write("a.o", LinkTests.Caller().Bss(".bss", 0x40_0000));
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Matches(@"^uk-ld: error: the kernel's data segment \(RW-, 0x[0-9a-f]+-0x[0-9a-f]+, largest section \.bss of " +
                       @"0x400000 bytes\) ends above 4 MiB \(0x400000\), where the app's address range begins: the kernel image " +
                       @"must fit in \[1 MiB, 4 MiB\)$", _harness.LinkError(a, b));
    }

    [Fact]
    public void AKernelImageBelow1MiBIsRefused()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());
        var error = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(
            CommandLine.Parse(["-o", _harness.OutputPath, "--base", "0x1000", a, b])!));

        Assert.Matches(@"^the kernel's text segment \(R-X, 0x1000-0x[0-9a-f]+, largest section \.text\.boot of 0x7 bytes\) " +
                       @"starts below 1 MiB \(0x100000\), which is the firmware's: link the kernel at 0x100000 \(--base\)$",
            error.Describe());
    }

    // The issue's case: the table's 24 bytes then read from the ELF header, an R_X86_64_NONE with r_offset 0x1003e0001.
    [Fact]
    public void ARelocationTableMovedOntoTheElfHeaderIsRefused()
    {
        string a = _harness.Write("a.o", Patch(LinkTests.Caller(), ".rela.text.boot", OffsetField, 0x10));
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal($"uk-ld: error: {a}: .text.boot+0x1003e0001: relocation R_X86_64_NONE offset is past the end of the " +
                     "section (0x7 bytes)", _harness.LinkError(a, b));
    }

    [Fact]
    public void ACommonSymbolWhoseAlignmentIsNotAPowerOfTwoIsRefused()
    {
        string a = _harness.Write("a.o", LinkTests.Caller().Common("buffer", 16, 3));
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal($"uk-ld: error: {a}: .symtab: corrupt ELF file: COMMON symbol's alignment (st_value 0x3) is not a power " +
                     "of two of at most 0x100000000 'buffer'", _harness.LinkError(a, b));
    }

    // lea x@tlsld(%rip), %rdi; call *__tls_get_addr@GOTPCREL(%rip) with the call's field cut off by the section's end:
    // the relaxation rewrote (and padded) a byte past the section.
    [Fact]
    public void ALocalDynamicTlsSequenceCutShortIsRefused()
    {
        var obj = new TestObjectBuilder()
            .Text(".text", [0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0xff, 0x15, 0, 0, 0])
            .Function("_start", ".text", 0, 12)
            .Undefined("__tls_get_addr")
            .Relocation(".text", 3, 20 /* R_X86_64_TLSLD */, "_start", -4)
            .Relocation(".text", 9, 41 /* R_X86_64_GOTPCRELX */, "__tls_get_addr", -4);
        string a = _harness.Write("a.o", obj);

        var error = StaticExecutableLinkError(a);
        Assert.Equal($"{a}: .text+0x3: local-dynamic TLS code ends before its __tls_get_addr call does '_start'", error.Describe());
    }

    // A CIE whose length (1) does not even cover its id: taken as a 5-byte record, the parse went on inside it, and an
    // FDE cut as short made the rebuilt .eh_frame's CIE pointer land outside its record.
    [Fact]
    public void AnEhFrameRecordShorterThanItsIdIsRefused()
    {
        var obj = new TestObjectBuilder()
            .Text(".text", [0xc3])
            .Function("_start", ".text", 0, 1)
            .Section(".eh_frame", ElfSectionType.ProgBits, ElfSectionFlags.Alloc, [1, 0, 0, 0, .. new byte[13]], alignment: 8);
        string a = _harness.Write("a.o", obj);

        var error = StaticExecutableLinkError(a);
        Assert.Equal($"{a}: .eh_frame+0x0: corrupt .eh_frame: record is shorter than its CIE id or pointer", error.Describe());
    }

    [Fact]
    public void ATruncatedBsdSymbolIndexIsRefused()
    {
        byte[] archive = [.. "!<arch>\n#1/12           0           0     0     644     16        `\n"u8, .. "__.SYMDEF\0\0\0"u8, 0, 0, 0, 0];
        string lib = _harness.Write("libx.a", archive);
        string a = _harness.Write("a.o", AppEmbeddingTests.AppObject());

        var error = StaticExecutableLinkError(a, lib);
        Assert.Equal($"{lib}: corrupt archive: __.SYMDEF of 4 bytes is truncated", error.Describe());
    }

    [Fact]
    public void EmptyPathsAreRefused()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal((1, "uk-ld: error: -o names no file (an empty path)\n"), Error(ProcessTests.Run("-o", "", a, b)));
        Assert.Equal((1, "uk-ld: error: --map names no file (an empty path)\n"),
            Error(ProcessTests.Run("-o", _harness.OutputPath, "--map", "", a, b)));
        Assert.Equal((1, "uk-ld: error: an input file name is empty\n"), Error(ProcessTests.Run("-o", _harness.OutputPath, a, "", b)));
        Assert.Equal((1, "uk-ld: error: --app names no file (an empty path)\n"),
            Error(ProcessTests.Run("-o", _harness.OutputPath, "--app", "", a, b)));
        Assert.Equal("-o names no file (an empty path)",
            Assert.Throws<Driver.DriverException>(() => Driver.DriverCommandLine.Parse(["a.o", "-static", "-o", ""])).Message);
        Assert.False(File.Exists(_harness.OutputPath));
    }

    private static (int, string) Error((int ExitCode, string StdOut, string StdErr) run) => (run.ExitCode, run.StdErr);

    [Fact]
    public void ControlBytesInNamesAreEscapedInMessages()
    {
        var obj = new TestObjectBuilder()
            .Text(".text.boot\u001b]0;owned\u0007", [0x90, 0xe8, 0, 0, 0, 0, 0xc3])
            .Function("uk_pvh_entry", ".text.boot\u001b]0;owned\u0007", 0, 7)
            .Undefined("evil\u001b[2J\r\u009b31m\u202e")
            .Relocation(".text.boot\u001b]0;owned\u0007", 2, R.PLT32, "evil\u001b[2J\r\u009b31m\u202e", -4);
        string a = _harness.Write("a.o", obj);

        string line = _harness.LinkError(a);

        Assert.Equal($"uk-ld: error: {a}: .text.boot\\x1b]0;owned\\x07+0x2: undefined symbol 'evil\\x1b[2J\\x0d\\x9b31m\\u{{202e}}'", line);
        Assert.DoesNotContain(line, c => char.IsControl(c));
        // Printable text, including letters beyond ASCII, is shown as it is.
        Assert.Equal("größe ∑ 漢字 \\x7f\\x0a\\u{2028}", MessageText.Escape("größe ∑ 漢字 \u007f\n\u2028"));
    }

    [Fact]
    public void ControlBytesInArchiveMemberNamesAreEscaped()
    {
        var member = new TestObjectBuilder().Text(".text", [0xc3]).Function("helper", ".text", 0, 1).Build();
        member[16] = 7; // e_type 7: not ET_REL, so the member is refused with its name
        byte[] archive = new ArchiveBuilder().Member("m\u001b[31m.o", member, "helper").BuildGnu();
        string lib = _harness.Write("libx.a", archive);
        string a = _harness.Write("a.o", new TestObjectBuilder()
            .Text(".text", [0xe8, 0, 0, 0, 0, 0xc3]).Function("_start", ".text", 0, 6).Undefined("helper")
            .Relocation(".text", 1, R.PLT32, "helper", -4));

        var error = StaticExecutableLinkError(a, lib);
        Assert.Equal($"{lib}(m\\x1b[31m.o): not a relocatable object (type 7), expected ET_REL", error.Describe());
    }

    // Links a static executable from _start expecting uk-ld to refuse the inputs.
    private LinkerException StaticExecutableLinkError(params string[] inputs) =>
        Assert.Throws<LinkerException>(() => Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = _harness.OutputPath,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = "_start",
            InputPaths = inputs,
        }));
}
