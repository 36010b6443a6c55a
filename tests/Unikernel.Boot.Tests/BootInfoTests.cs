using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot.Tests;

public class BootInfoTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;
    private static byte[] Data => Boot.Sections[DataSection].Bytes;
    private static ulong BootInfoOffset => Boot.Symbol("uk_boot_info").Value;

    [Fact]
    public void StartsWithTheMagic()
    {
        Assert.Equal("UKBOOT01", Encoding.ASCII.GetString(Data, (int)BootInfoOffset, 8));
        Assert.Equal(0x3130544F4F424B55UL, BinaryPrimitives.ReadUInt64LittleEndian(Data.AsSpan((int)BootInfoOffset)));
    }

    [Theory]
    [InlineData(24, "__image_start")]
    [InlineData(32, "__image_end")]
    [InlineData(40, "__start___modules")]
    [InlineData(48, "__stop___modules")]
    [InlineData(56, "__start_uk_ksyms")]
    [InlineData(64, "__stop_uk_ksyms")]
    [InlineData(72, "__text_start")]
    [InlineData(80, "__text_end")]
    [InlineData(112, "__uk_app_entry")]
    [InlineData(120, "__uk_app_phdr")]
    [InlineData(128, "__uk_app_phnum")]
    [InlineData(136, "__uk_app_start")]
    [InlineData(144, "__uk_app_end")]
    public void LinkerFieldIsAbs64RelocationToItsSymbol(int field, string symbol)
    {
        var relocation = Boot.RelocationAt(DataSection, BootInfoOffset + (ulong)field);
        Assert.NotNull(relocation);
        Assert.Equal(BootObjectFile.R_X86_64_64, relocation.Type);
        Assert.Equal(symbol, relocation.Target);
        Assert.False(relocation.TargetIsSection);
        Assert.Equal(0, relocation.Addend);
    }

    [Theory]
    [InlineData(88, BootStackBottom)]
    [InlineData(96, BootStackTop)]
    public void StackFieldsPointIntoBss(int field, int bssOffset)
    {
        var relocation = Boot.RelocationAt(DataSection, BootInfoOffset + (ulong)field);
        Assert.NotNull(relocation);
        Assert.Equal(BootObjectFile.R_X86_64_64, relocation.Type);
        Assert.Equal(BssSection, relocation.Target);
        Assert.True(relocation.TargetIsSection);
        Assert.Equal(bssOffset, relocation.Addend);
        Assert.Equal((ulong)BootStackBottom, Boot.Symbol("uk_boot_stack").Value);
        Assert.Equal((ulong)(BootStackTop - BootStackBottom), Boot.Symbol("uk_boot_stack").Size);
    }

    [Theory]
    [InlineData(8)]   // PvhStartInfo
    [InlineData(16)]  // EntryTsc
    [InlineData(104)] // Xcr0
    public void RunTimeFieldsStartZeroWithoutRelocation(int field)
    {
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(Data.AsSpan((int)BootInfoOffset + field)));
        Assert.Null(Boot.RelocationAt(DataSection, BootInfoOffset + (ulong)field));
    }

    [Fact]
    public void OnlyTheExpectedDataFieldsAreRelocated()
    {
        var expected = new HashSet<ulong> { GdtPointer + 2, IdtPointer + 2 };
        for (int field = 24; field <= 96; field += 8)
            expected.Add(BootInfoOffset + (ulong)field);
        for (int field = 112; field <= 168; field += 8) // the App*, Files* and PayloadStart fields after Xcr0
            expected.Add(BootInfoOffset + (ulong)field);
        Assert.Equal(expected.OrderBy(x => x), Boot.RelocationsOf(DataSection).Select(r => r.Offset).OrderBy(x => x));
    }

    [Fact]
    public void TableSizeCoversEveryFieldAndTheSymbolSaysSo()
    {
        // 22 fields of 8 bytes, the App*, Files* and PayloadStart fields last (docs/boot-abi.md); uk_boot_info's st_size is the table's size.
        Assert.Equal(176, BootInfoLayout.Size);
        Assert.Equal((ulong)BootInfoLayout.Size, Boot.Symbol("uk_boot_info").Size);
    }

    [Fact]
    public void KernelStructHasTheSameFieldsAtTheSameOffsets()
    {
        // runtime/Kernel/Boot/BootInfo.cs is the kernel's side of the ABI: every field BootInfoLayout names
        // must be there, at the same offset, and nothing else.
        var layoutFields = typeof(BootInfoLayout).GetFields()
            .Where(f => f.IsLiteral && f.FieldType == typeof(int) && f.Name != nameof(BootInfoLayout.Size))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var structFields = typeof(Kernel.Boot.BootInfo).GetFields(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(f => f.Name, f => (int)Marshal.OffsetOf<Kernel.Boot.BootInfo>(f.Name));
        Assert.Equal(layoutFields.OrderBy(f => f.Value), structFields.OrderBy(f => f.Value));
        Assert.Equal(BootInfoLayout.Size, Marshal.SizeOf<Kernel.Boot.BootInfo>());
    }

    [Fact]
    public void SecurityCookieStartsNonZeroAndTrapThreadsZero()
    {
        Assert.NotEqual(0UL, BinaryPrimitives.ReadUInt64LittleEndian(Data.AsSpan((int)Boot.Symbol("__security_cookie").Value)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan((int)Boot.Symbol("RhpTrapThreads").Value)));
        Assert.Equal(0UL, Boot.Symbol("__security_cookie").Value % 8);
    }

    [Fact]
    public void EntryCodeWritesTheRunTimeFields()
    {
        // Every run-time field has a writer in the code: PvhStartInfo/EntryTsc from the 32-bit entry
        // (R_X86_64_32), Xcr0 from 64-bit code (R_X86_64_PC32, addend = field - 4).
        var text = Boot.RelocationsOf(TextSection).Where(r => r.Target == DataSection).ToList();
        foreach (int field in new[] { 8, 12, 16, 20 })
            Assert.Contains(text, r => r.Type == BootObjectFile.R_X86_64_32 && r.Addend == (long)BootInfoOffset + field);
        Assert.Contains(text, r => r.Type == BootObjectFile.R_X86_64_PC32 && r.Addend == (long)BootInfoOffset + 104 - 4);
    }
}
