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

    [Fact]
    public void FailedLinkRemovesStaleOutput()
    {
        File.WriteAllText(_harness.OutputPath, "old image");
        File.WriteAllText(_harness.MapPath, "old map");
        string a = _harness.Write("a.o", LinkTests.Caller());

        _harness.LinkError(a); // also asserts that neither file exists afterwards
    }

    // A large old output is moved aside and deleted while the link runs (Output/StaleOutput.cs); a link that fails
    // after that point must still leave nothing behind, neither the output nor the moved-aside copy.
    [Fact]
    public void FailedLinkRemovesLargeStaleOutput()
    {
        File.WriteAllBytes(_harness.OutputPath, new byte[3 << 20]);
        string b = _harness.Write("b.o", LinkTests.Callee());
        Assert.Equal("uk-ld: error: undefined entry symbol 'uk_pvh_entry'", _harness.LinkError(b));
    }
}
