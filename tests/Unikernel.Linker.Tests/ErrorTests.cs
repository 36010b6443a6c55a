using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

public sealed class ErrorTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void UndefinedSymbolNamesFirstReference()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());

        string line = _harness.LinkError(a);

        Assert.Equal($"uk-ld: error: {a}: .text.boot+0x2: undefined symbol 'callee'", line);
    }

    [Fact]
    public void DuplicateStrongDefinitionNamesBothFiles()
    {
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());
        string c = _harness.Write("c.o", LinkTests.Callee());

        string line = _harness.LinkError(a, b, c);

        Assert.StartsWith($"uk-ld: error: {c}: .text+0x2: duplicate symbol", line);
        Assert.Contains(b, line);
        Assert.EndsWith("'callee'", line);
    }

    [Fact]
    public void UnsupportedRelocationTypeIsNamed()
    {
        var obj = LinkTests.Caller().Relocation(".text.boot", 1, R.TPOFF32, "callee");
        string a = _harness.Write("a.o", obj);
        string b = _harness.Write("b.o", LinkTests.Callee());

        string line = _harness.LinkError(a, b);

        Assert.Equal($"uk-ld: error: {a}: .text.boot+0x1: unsupported relocation R_X86_64_TPOFF32 'callee'", line);
    }

    [Fact]
    public void Abs32OverflowIsReported()
    {
        var obj = LinkTests.Caller()
            .Data(".data", new byte[8])
            .Absolute("high", 0x1_0000_0000)
            .Relocation(".data", 4, R.X86_64_32, "high");
        string a = _harness.Write("a.o", obj);
        string b = _harness.Write("b.o", LinkTests.Callee());

        string line = _harness.LinkError(a, b);

        Assert.StartsWith($"uk-ld: error: {a}: .data+0x4: relocation R_X86_64_32 out of range", line);
        Assert.EndsWith("'high'", line);
    }

    [Fact]
    public void UseOfThreadLocalSymbolIsRejected()
    {
        var obj = LinkTests.Caller()
            .Section(".tdata", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write | ElfSectionFlags.Tls,
                [1, 2, 3, 4])
            .Symbol("counter", ".tdata", 0, 4, ElfSymbolType.Tls, ElfSymbolBind.Global)
            .Text(".text.tls", [0x64, 0x8b, 0x04, 0x25, 0, 0, 0, 0])
            .Relocation(".text.tls", 4, R.TPOFF32, "counter");
        string a = _harness.Write("a.o", obj);
        string b = _harness.Write("b.o", LinkTests.Callee());

        string line = _harness.LinkError(a, b);

        Assert.Equal($"uk-ld: error: {a}: .text.tls+0x4: thread-local storage is not supported in the kernel unit 'counter'",
            line);
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        byte[] full = LinkTests.Caller().Build();
        string a = _harness.Write("a.o", full[..(full.Length - 40)]);

        string line = _harness.LinkError(a);

        Assert.StartsWith($"uk-ld: error: {a}: truncated file", line);
    }

    [Fact]
    public void TruncatedSectionContentsAreRejected()
    {
        byte[] full = LinkTests.Caller().Build();
        // Keep the headers but point the first section past the end of the file.
        var copy = (byte[])full.Clone();
        ulong sectionHeaders = BitConverter.ToUInt64(copy, 40);
        BitConverter.GetBytes(0xFFFF_0000UL).CopyTo(copy, (int)sectionHeaders + 64 + 24);
        string a = _harness.Write("a.o", copy);

        string line = _harness.LinkError(a);

        Assert.StartsWith($"uk-ld: error: {a}: ", line);
        Assert.True(line.Contains("truncated") || line.Contains("corrupt"), line);
    }

    [Fact]
    public void WrongMachineIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        BitConverter.GetBytes((ushort)183).CopyTo(bytes, 18); // EM_AARCH64
        string a = _harness.Write("a.o", bytes);

        string line = _harness.LinkError(a);

        Assert.Equal($"uk-ld: error: {a}: wrong machine EM_AARCH64 (183), expected EM_X86_64", line);
    }

    [Fact]
    public void ExecutableInputIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        BitConverter.GetBytes((ushort)2).CopyTo(bytes, 16); // ET_EXEC
        string a = _harness.Write("a.o", bytes);

        string line = _harness.LinkError(a);

        Assert.Equal($"uk-ld: error: {a}: not a relocatable object (ET_EXEC), expected ET_REL", line);
    }

    [Fact]
    public void Elf32InputIsRejected()
    {
        byte[] bytes = LinkTests.Caller().Build();
        bytes[4] = 1; // ELFCLASS32
        string a = _harness.Write("a.o", bytes);

        Assert.Contains("not a 64-bit ELF file", _harness.LinkError(a));
    }

    [Fact]
    public void GarbageIsRejected()
    {
        var random = new Random(42);
        var garbage = new byte[1000];
        random.NextBytes(garbage);
        string a = _harness.Write("a.o", garbage);

        Assert.Equal($"uk-ld: error: {a}: not an ELF file", _harness.LinkError(a));
    }

    [Fact]
    public void GarbageAfterValidHeaderIsRejectedWithoutCrash()
    {
        byte[] bytes = LinkTests.Caller().Build();
        var random = new Random(7);
        for (int i = 64; i < bytes.Length; i++)
            bytes[i] = (byte)random.Next(256);
        string a = _harness.Write("a.o", bytes);

        // Any one-line error naming the file is acceptable; an unhandled exception is not.
        Assert.StartsWith($"uk-ld: error: {a}: ", _harness.LinkError(a));
    }

    [Fact]
    public void MissingInputIsReported()
    {
        string missing = Path.Combine(_harness.Directory, "missing.o");
        Assert.StartsWith($"uk-ld: error: {missing}: cannot read input", _harness.LinkError(missing));
    }

    [Fact]
    public void UndefinedEntryIsReported()
    {
        string b = _harness.Write("b.o", LinkTests.Callee());
        Assert.Equal("uk-ld: error: undefined entry symbol 'uk_pvh_entry'", _harness.LinkError(b));
    }

    // Like lld, not GNU ld: the files on disk are always a complete link's, this one's or the previous one's.
    [Fact]
    public void AFailedLinkLeavesThePreviousOutputAndMap()
    {
        File.WriteAllText(_harness.OutputPath, "old image");
        File.WriteAllText(_harness.MapPath, "old map");
        string a = _harness.Write("a.o", LinkTests.Caller());

        Assert.Throws<LinkerException>(() => _harness.Link(a));

        Assert.Equal("old image", File.ReadAllText(_harness.OutputPath));
        Assert.Equal("old map", File.ReadAllText(_harness.MapPath));
        Assert.Equal(["a.o", "kernel.elf", "kernel.map"],
            Directory.GetFiles(_harness.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    // A large old output is held open while the link runs (Output/ReplacedOutput.cs), never moved or deleted: a link
    // that fails after every input was read still leaves it in place, and nothing else beside it.
    [Fact]
    public void AFailedLinkLeavesALargePreviousOutput()
    {
        byte[] old = new byte[3 << 20];
        new Random(3).NextBytes(old);
        File.WriteAllBytes(_harness.OutputPath, old);
        string b = _harness.Write("b.o", LinkTests.Callee());

        Assert.Equal("undefined entry symbol 'uk_pvh_entry'", Assert.Throws<LinkerException>(() => _harness.Link(b)).Describe());

        Assert.Equal(old, File.ReadAllBytes(_harness.OutputPath));
        Assert.Equal(["b.o", "kernel.elf"], Directory.GetFiles(_harness.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
