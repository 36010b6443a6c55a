using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using Iced.Intel;

namespace Unikernel.Boot.Tests;

public class ApTrampolineTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;

    [Fact]
    public void KernelWritesTheParametersAtTheTrampolinesOffsets()
    {
        // runtime/Kernel/Boot/ApTrampolineParameters.cs is the kernel's side: each field at ApTrampoline's offset.
        Assert.Equal(ApTrampoline.DataOffset, Kernel.Boot.ApTrampolineParameters.DataOffset);
        var constants = typeof(ApTrampoline).GetFields().Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var fields = typeof(Kernel.Boot.ApTrampolineParameters).GetFields(BindingFlags.Public | BindingFlags.Instance);
        Assert.NotEmpty(fields);
        foreach (var field in fields)
        {
            int offset = (int)Marshal.OffsetOf<Kernel.Boot.ApTrampolineParameters>(field.Name);
            if (field.Name == "FinalGdtBase") Assert.Equal(ApTrampoline.FinalGdtPointer + 2, offset);
            else Assert.Equal(constants[field.Name], offset);
        }
    }

    [Fact]
    public void ImageIsEmbeddedUnchangedWithoutRelocations()
    {
        var image = ApTrampoline.BuildImage();
        Assert.Equal(ApTrampoline.ImageSize, image.Length);
        var symbol = Boot.Symbol(ApTrampoline.ImageSymbol);
        Assert.True(symbol.Size >= (ulong)image.Length);
        Assert.Equal(image, Boot.Text.AsSpan((int)symbol.Value, image.Length).ToArray());
        Assert.DoesNotContain(Boot.RelocationsOf(BootMemoryLayout.TextSection),
            r => r.Offset >= symbol.Value && r.Offset < symbol.Value + symbol.Size);
    }

    [Fact]
    public void RealModeCodeEntersProtectedModeThroughItsOwnFarPointer()
    {
        var code = Decode(ApTrampoline.BuildImage(), 0, ApTrampoline.Code32Offset, 16);
        // Interrupts off first; CR0.PE set; the last instruction a far jump through the data block's far pointer.
        Assert.Equal(Mnemonic.Cli, code[0].Mnemonic);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Lgdt && i.MemoryDisplacement32 == ApTrampoline.DataOffset + ApTrampoline.GdtPointer);
        var jump = code.Last(i => i.Mnemonic != Mnemonic.Int3);
        Assert.Equal(Code.Jmp_m1632, jump.Code);
        Assert.Equal((uint)(ApTrampoline.DataOffset + ApTrampoline.FarPointer), jump.MemoryDisplacement32);
    }

    [Fact]
    public void ProtectedModeCodeLoadsPagingStateThenFarReturns()
    {
        var code = Decode(ApTrampoline.BuildImage(), ApTrampoline.Code32Offset, ApTrampoline.DataOffset - ApTrampoline.Code32Offset, 32)
            .Where(i => i.Mnemonic != Mnemonic.Int3).ToList();
        int cr4 = code.FindIndex(i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.CR4);
        int cr3 = code.FindIndex(i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.CR3);
        int efer = code.FindIndex(i => i.Mnemonic == Mnemonic.Wrmsr);
        int cr0 = code.FindIndex(i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.CR0);
        // PAE and CR3 before EFER.LME, and CR0.PG last (SDM 9.8.5), then the far return into 64-bit code.
        Assert.True(cr4 >= 0 && cr4 < efer && cr3 < efer && efer < cr0, $"order cr4 {cr4} cr3 {cr3} efer {efer} cr0 {cr0}");
        Assert.Equal(Mnemonic.Retf, code[^1].Mnemonic);
    }

    [Fact]
    public void TrampolineGdtHasFlatCodeDataAnd64BitCode()
    {
        var data = ApTrampoline.BuildImage().AsSpan(ApTrampoline.DataOffset);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(data));
        Assert.Equal(0x00CF_9A00_0000_FFFFUL, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
        Assert.Equal(0x00CF_9200_0000_FFFFUL, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
        Assert.Equal(0x00AF_9A00_0000_FFFFUL, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
        Assert.Equal(31, BinaryPrimitives.ReadUInt16LittleEndian(data[ApTrampoline.GdtPointer..]));
        // Everything the kernel writes starts zero.
        Assert.All(data[ApTrampoline.Cr3..ApTrampoline.ParametersSize].ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void LongModePartCallsTheKernelsApEntry()
    {
        var code = Boot.Decode(ApTrampoline.LongModeSymbol);
        Assert.Contains(code, i => i.Instruction.Mnemonic == Mnemonic.Ltr);
        Assert.Contains(code, i => i.Instruction.Mnemonic == Mnemonic.Lidt);
        var call = code.Single(i => i.Instruction.IsCallNear);
        var relocation = Boot.RelocationAt(BootMemoryLayout.TextSection, (ulong)call.BranchFieldOffset);
        Assert.NotNull(relocation);
        Assert.Equal(ApTrampoline.KernelEntrySymbol, relocation!.Target);
    }

    private static List<Instruction> Decode(byte[] bytes, int offset, int length, int bitness)
    {
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(bytes, offset, length), (ulong)offset);
        var result = new List<Instruction>();
        while (decoder.IP < (ulong)(offset + length))
        {
            decoder.Decode(out var instruction);
            Assert.False(instruction.IsInvalid, $"invalid {bitness}-bit instruction at 0x{instruction.IP:X}");
            result.Add(instruction);
        }
        return result;
    }
}
