using System.Text;
using Kernel.Diagnostics;
using Unikernel.Formats;

namespace Unikernel.Runtime.Tests;

public unsafe class SymbolTableTests
{
    // A table as the linker writes it: with the linker's own encoder (formats/Host/KernelSymbolsCodec.cs).
    private static byte[] Build(params (ulong Address, uint Size, string Name)[] symbols) =>
        KernelSymbolsCodec.Encode(symbols.Select(s => new KernelSymbolsFunction(s.Address, s.Size, s.Name)));

    private static string? Lookup(byte[] table, ulong address, out ulong offset)
    {
        fixed (byte* p = table)
        {
            var symbols = new SymbolTable();
            Assert.True(symbols.Initialize(p, (ulong)table.Length));
            if (!symbols.Lookup(address, out byte* name, out int limit, out offset)) return null;
            int n = 0;
            while (n < limit && name[n] != 0) n++;
            return Encoding.UTF8.GetString(name, n);
        }
    }

    [Fact]
    public void FindsTheContainingFunctionAndOffset()
    {
        var table = Build((0x1000, 0x20, "first"), (0x1020, 0x10, "second"), (0x2000, 0x100, "third"));
        Assert.Equal("first", Lookup(table, 0x1000, out var o)); Assert.Equal(0ul, o);
        Assert.Equal("first", Lookup(table, 0x101f, out o)); Assert.Equal(0x1ful, o);
        Assert.Equal("second", Lookup(table, 0x1025, out o)); Assert.Equal(5ul, o);
        Assert.Equal("third", Lookup(table, 0x20ff, out _));
    }

    [Fact]
    public void AddressesOutsideAnyFunctionResolveToNothing()
    {
        var table = Build((0x1000, 0x20, "first"), (0x2000, 0x100, "third"));
        Assert.Null(Lookup(table, 0xfff, out _));
        Assert.Null(Lookup(table, 0x1020, out _));   // in the gap after "first"
        Assert.Null(Lookup(table, 0x2100, out _));
    }

    [Fact]
    public void MalformedTablesAreRejected()
    {
        var good = Build((0x1000, 0x20, "f"));
        fixed (byte* p = good)
        {
            var t = new SymbolTable();
            Assert.False(t.Initialize(null, 100));
            Assert.False(t.Initialize(p, 8));                   // shorter than the header
            Assert.False(t.Initialize(p, 20));                  // entries cut off
        }
        var badMagic = (byte[])good.Clone(); badMagic[0] ^= 0xFF;
        var hugeCount = (byte[])good.Clone(); BitConverter.GetBytes(0x10000000u).CopyTo(hugeCount, 4);
        foreach (var bad in new[] { badMagic, hugeCount })
            fixed (byte* p = bad)
            {
                var t = new SymbolTable();
                Assert.False(t.Initialize(p, (ulong)bad.Length));
                Assert.False(t.Lookup(0x1000, out _, out _, out _));
            }
    }
}
