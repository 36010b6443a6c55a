using System.Buffers.Binary;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

/// <summary>
/// <c>uk-ld -z stack-size=N</c>: PT_GNU_STACK's p_memsz in a static executable, which musl takes as the default
/// stack size of new threads. (The run-time effect, compared with GNU ld, is in StaticExecutableTests.)
/// </summary>
public sealed class StackSizeTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static LinkOptions Parse(params string[] options) =>
        CommandLine.Parse(["-static", "-o", "out", .. options, "a.o"])!;

    [Theory]
    [InlineData("1572864", 1572864UL)]
    [InlineData("0x180000", 0x180000UL)]
    [InlineData("0X180000", 0x180000UL)]
    [InlineData("0", 0UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void StackSizeIsReadInDecimalOrHexInBothSpellings(string value, ulong expected)
    {
        Assert.Equal(expected, Parse("-z", "stack-size=" + value).StackSize);
        Assert.Equal(expected, Parse("-zstack-size=" + value).StackSize);
    }

    [Fact]
    public void WithoutTheOptionThereIsNoStackSizeAndTheLastOneWins()
    {
        Assert.Equal(0UL, Parse().StackSize);
        Assert.Equal(0x2000UL, Parse("-z", "stack-size=4096", "-zstack-size=0x2000").StackSize);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData(" 5")]
    [InlineData("1.5")]
    [InlineData("1M")]
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData("0x-1")]
    [InlineData("010")]   // GNU ld reads a leading 0 as octal; refused rather than read differently
    [InlineData("18446744073709551616")]
    [InlineData("0x10000000000000000")]
    public void BadStackSizesAreErrorsNamingTheOptionAndTheValue(string value)
    {
        foreach (string[] spelling in new[] { new[] { "-z", "stack-size=" + value }, ["-zstack-size=" + value] })
        {
            var error = Assert.Throws<LinkerException>(() => Parse(spelling));
            Assert.Equal($"invalid -z stack-size value '{value}' (expected a byte count, decimal or 0x hex)", error.Describe());
        }
    }

    [Theory]
    [InlineData("execstack")]
    [InlineData("relro")]
    [InlineData("max-page-size=4096")]
    public void OtherZKeywordsAreErrors(string keyword)
    {
        var error = Assert.Throws<LinkerException>(() => Parse("-z", keyword));
        Assert.Equal($"unsupported -z keyword '{keyword}' (uk-ld knows -z stack-size=BYTES)", error.Describe());
    }

    [Fact]
    public void ZOrStackSizeWithoutAValueIsAnError()
    {
        Assert.StartsWith("option '-z' needs a value", Assert.Throws<LinkerException>(() =>
            CommandLine.Parse(["-static", "-o", "out", "a.o", "-z"])).Describe());
        Assert.Equal("-z stack-size needs a value: -z stack-size=BYTES",
            Assert.Throws<LinkerException>(() => Parse("-z", "stack-size")).Describe());
    }

    [Fact]
    public void AKernelImageRefusesAStackSize()
    {
        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "out", "-z", "stack-size=65536", "a.o"]));
        Assert.StartsWith("-z stack-size needs -static", error.Describe());

        // The same through the API: nothing is read or written.
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());
        var direct = Assert.Throws<LinkerException>(() => Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = _harness.OutputPath,
            InputPaths = [a, b],
            StackSize = 65536,
        }));
        Assert.Contains("-z stack-size", direct.Describe());
        Assert.False(File.Exists(_harness.OutputPath));
    }

    [Theory]
    [InlineData(new string[0], 0UL)]
    [InlineData(new[] { "-z", "stack-size=1572864" }, 0x180000UL)]
    [InlineData(new[] { "-zstack-size=0x1000000" }, 0x1000000UL)]
    public void StackSizeIsGnuStacksMemorySizeAndNothingElseChanges(string[] options, ulong memorySize)
    {
        string a = _harness.Write("a.o", LinkTests.Caller());
        string b = _harness.Write("b.o", LinkTests.Callee());
        Linker.LinkToFiles(CommandLine.Parse(["-static", "-e", "uk_pvh_entry", "-o", _harness.OutputPath, .. options, a, b])!);

        var stack = Assert.Single(ProgramHeaders(_harness.OutputBytes), h => h.Type == ElfConstants.PT_GNU_STACK);
        // GNU ld's PT_GNU_STACK for -z stack-size: RW, no offset, address or file bytes, p_memsz = N, align 16.
        Assert.Equal(new ProgramHeader(ElfConstants.PT_GNU_STACK, 6, 0, 0, 0, memorySize, 16), stack);
    }

    internal sealed record ProgramHeader(uint Type, uint Flags, ulong Offset, ulong Address, ulong FileSize, ulong MemorySize,
        ulong Alignment);

    internal static List<ProgramHeader> ProgramHeaders(byte[] image)
    {
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(56));
        var headers = new List<ProgramHeader>();
        for (int i = 0; i < count; i++)
        {
            var h = image.AsSpan((int)table + 56 * i);
            headers.Add(new ProgramHeader(BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[32..]), BinaryPrimitives.ReadUInt64LittleEndian(h[40..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[48..])));
        }
        return headers;
    }
}
