using System.Runtime.InteropServices;
using System.Globalization;
using LibObjectFile.Elf;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

public sealed class OutputTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static TestObjectBuilder FunctionsObject() => LinkTests.Caller()
        .Text(".text", [0x90, 0x90, 0x90, 0x90, 0xc3, 0xc3])
        .Function("zeta_local", ".text", 4, 1, ElfSymbolBind.Local)
        .Function("alpha", ".text", 0, 4)
        .Function("alpha_alias", ".text", 0, 0) // an alias without size must not shadow "alpha"
        .Function("last", ".text", 5, 1)
        .Object("not_a_function", ".text", 0, 1)
        .Data("__modules", new byte[8]);

    [Fact]
    public void OutputIsDeterministic()
    {
        string a = _harness.Write("a.o", FunctionsObject());
        string b = _harness.Write("b.o", LinkTests.Callee());

        var first = _harness.Link(a, b);
        byte[] firstBytes = _harness.OutputBytes;
        var second = _harness.Link(a, b);

        Assert.Equal(firstBytes, _harness.OutputBytes);
        Assert.Equal(first.Map, second.Map);
        Assert.Equal(first.Image, second.Image);
    }

    // An output that is not a regular file (here a FIFO; /dev/null is a character device) is written into, as GNU ld
    // does, not replaced by a renamed file; and a failed link leaves it where it is.
    [Fact]
    public void AnOutputThatIsNotARegularFileIsWrittenIntoAndKept()
    {
        string fifo = Path.Combine(_harness.Directory, "pipe");
        MuslToolchain.Run("mkfifo", [fifo]);
        string a = _harness.Write("a.o", FunctionsObject());
        string b = _harness.Write("b.o", LinkTests.Callee());
        var options = new LinkOptions { OutputPath = fifo, InputPaths = [a, b] };

        var reader = Task.Run(() => File.ReadAllBytes(fifo));
        var result = Linker.LinkToFiles(options);
        Assert.True(reader.Wait(TimeSpan.FromSeconds(30)), "the reader got the image");
        Assert.Equal(result.Image, reader.Result);
        Assert.Equal("fifo", MuslToolchain.Run("stat", ["-c", "%F", fifo]).Trim());

        Assert.Throws<LinkerException>(() => Linker.LinkToFiles(options with { InputPaths = [b] }));
        Assert.Equal("fifo", MuslToolchain.Run("stat", ["-c", "%F", fifo]).Trim());
        Assert.Empty(Directory.GetFiles(_harness.Directory, "*.tmp"));
    }

    // A large old output is held open and freed on another thread once the new image took its path
    // (Output/ReplacedOutput.cs): nothing else stays in the folder.
    [Fact]
    public void ALargeOldOutputIsReplacedWithoutLeftovers()
    {
        File.WriteAllBytes(_harness.OutputPath, new byte[3 << 20]);
        string a = _harness.Write("a.o", FunctionsObject());
        string b = _harness.Write("b.o", LinkTests.Callee());

        var result = _harness.Link(a, b);

        Assert.Equal(result.Image, _harness.OutputBytes);
        Assert.Equal(["a.o", "b.o", "kernel.elf", "kernel.map"],
            Directory.GetFiles(_harness.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KernelSymbolTableListsFunctionsSortedByAddress()
    {
        string a = _harness.Write("a.o", FunctionsObject());
        string b = _harness.Write("b.o", LinkTests.Callee());
        _harness.Link(a, b);

        var elf = _harness.ReadOutput();
        var section = elf.Section("uk_ksyms");
        Assert.Equal(ElfSectionFlags.Alloc, section.Flags);
        byte[] data = elf.ReadMemory(_harness.OutputBytes, section.VirtualAddress, (int)section.Size);
        var header = MemoryMarshal.Read<KernelSymbolsHeader>(data);
        Assert.Equal(KernelSymbolsFormat.Magic, header.Magic);
        Assert.Equal(KernelSymbolsFormat.HeaderSize + KernelSymbolsFormat.EntrySize * (int)header.Count, (int)header.StringsOffset);
        var entries = KernelSymbolsCodec.Decode(data)!.Select(f => (f.Address, Size: (uint)f.Size, f.Name)).ToList();

        Assert.Equal(entries.OrderBy(e => e.Address).ToList(), entries);
        Assert.Equal(["uk_pvh_entry", "alpha", "zeta_local", "last", "callee"], entries.Select(e => e.Name));
        foreach (var (address, size, name) in entries)
        {
            var symbol = elf.Symbol(name);
            Assert.Equal(symbol.Value, address);
            Assert.Equal(symbol.Size, size);
        }
    }

    [Fact]
    public void MapListsSectionsInputsAndFileTotals()
    {
        string a = _harness.Write("a.o", FunctionsObject());
        string b = _harness.Write("b.o", LinkTests.Callee());
        _harness.Link(a, b);

        var elf = _harness.ReadOutput();
        string[] lines = File.ReadAllLines(_harness.MapPath);
        Assert.Equal("# uk-ld link map v1", lines[0]);

        var records = lines.Where(l => l.Length != 0 && !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        var sections = records.Where(r => r[0] == "section").ToList();
        var text = sections.Single(r => r[1] == ".text");
        var elfText = elf.Section(".text");
        Assert.Equal(elfText.VirtualAddress, Hex(text[2]));
        Assert.Equal(elfText.Size, Hex(text[3]));

        // Input rows follow their section, indented by one tab.
        int textLine = Array.FindIndex(lines, l => l.StartsWith("section\t.text\t"));
        var inputs = lines.Skip(textLine + 1).TakeWhile(l => l.StartsWith('\t')).Select(l => l[1..].Split('\t')).ToList();
        Assert.Equal([a, b], inputs.Select(r => r[1]));
        Assert.All(inputs, r => Assert.Equal("input", r[0]));
        Assert.Equal(elfText.VirtualAddress, Hex(inputs[0][3]));
        Assert.Equal(6UL, Hex(inputs[0][4]));

        var entry = records.Single(r => r[0] == "entry");
        Assert.Equal(["entry", "uk_pvh_entry", "0x100000"], entry);
        Assert.Equal(3, records.Count(r => r[0] == "segment"));

        var fileA = records.Single(r => r[0] == "file" && r[1] == a);
        Assert.Equal(7UL + 6, Hex(fileA[2])); // .text.boot + .text
        Assert.Equal(8UL, Hex(fileA[4]));     // __modules
        Assert.Equal(Hex(fileA[2]) + Hex(fileA[3]) + Hex(fileA[4]) + Hex(fileA[5]), Hex(fileA[6]));
        Assert.Contains(records, r => r[0] == "file" && r[1] == "<linker>");
    }

    [Fact]
    public void OutputIsReadableByLibObjectFileWithoutDiagnostics()
    {
        _harness.Link(_harness.Write("a.o", FunctionsObject()), _harness.Write("b.o", LinkTests.Callee()));

        using var stream = File.OpenRead(_harness.OutputPath);
        Assert.True(ElfFile.TryRead(stream, out var elf, out var diagnostics),
            string.Join("\n", diagnostics.Messages));
        var symbolTable = elf.Sections.OfType<ElfSymbolTable>().Single();
        Assert.Contains(symbolTable.Entries, s => s.Name.Value == "__start___modules");
        Assert.Contains(symbolTable.Entries, s => s.Name.Value == "zeta_local" && s.Bind == ElfSymbolBind.Local);
    }

    private static ulong Hex(string text) =>
        ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
