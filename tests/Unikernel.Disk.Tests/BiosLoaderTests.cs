using Iced.Intel;
using Unikernel.Loaders;
using Unikernel.Loaders.Bios;

namespace Unikernel.Disk.Tests;

/// <summary>The BIOS loader's two pieces of machine code: sizes, placement and that they are the code they claim to be.</summary>
public class BiosLoaderTests
{
    [Fact]
    public void BootCodeIsExactlyTheMbrsCodeArea()
    {
        Assert.Equal(440, BiosLoader.BootCode().Length);
    }

    // Every instruction reachable from the first byte decodes as valid 16-bit code inside the 440 bytes, and the code does
    // what stage 1 must: INT 13h (extensions check and reads), the map's magic, a far jump to stage 2 at 0000:8000.
    [Fact]
    public void BootCodeDecodesAsSixteenBitCodeThatLoadsStage2()
    {
        byte[] code = BiosLoader.BootCode();
        var instructions = Reachable(code, 0x7C00, 0x7C00);

        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Int && i.Immediate8 == 0x13);
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Cmp && i.GetImmediate(1) == unchecked((uint)BiosBootMap.Magic));
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Cmp && i.GetImmediate(1) == (uint)(BiosBootMap.Magic >> 32));
        Assert.Contains(instructions, i => i.Code == Code.Jmp_ptr1616 && i.FarBranchSelector == 0 && i.FarBranch16 == 0x8000);
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Mov && i.Op1Kind == OpKind.Immediate32 && i.Immediate32 == DiskBootContract.BiosBootPartitionLba + 1);
    }

    // Stage 2 is whole sectors, fits the BIOS boot partition after the map sector, and fits where stage 1 puts it
    // (0x8000 up to 64 KiB); its 16-bit code from the entry decodes as valid instructions.
    [Fact]
    public void Stage2IsWholeSectorsThatFitTheBiosBootPartition()
    {
        byte[] stage2 = BiosLoader.Stage2();

        Assert.True(stage2.Length > 0);
        Assert.Equal(0, stage2.Length % DiskBootContract.SectorBytes);
        Assert.True(stage2.Length / DiskBootContract.SectorBytes <= DiskBootContract.BiosBootPartitionSectors - 1);
        Assert.True(stage2.Length <= 0x10000 - 0x8000);
        var instructions = Reachable(stage2, 0x8000, 0x8000);
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Int && i.Immediate8 == 0x15);   // E820, A20
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Lgdt);
        Assert.Contains(instructions, i => i.Code == Code.Jmp_ptr1616 && i.FarBranchSelector == 0x08);
    }

    [Fact]
    public void BothAreTheSameBytesEveryTime()
    {
        Assert.Equal(BootSector.Build(), BootSector.Build());
        Assert.Equal(Stage2Program.Build(), Stage2Program.Build());
        Assert.Equal(BiosLoader.BootCode(), BiosLoader.BootCode());
        Assert.Equal(BiosLoader.Stage2(), BiosLoader.Stage2());
    }

    // The loader's code reads the map by these offsets; they must be where BiosBootMap.ToSector writes the fields.
    [Fact]
    public void BootMapOffsetsAreThoseOfTheContract()
    {
        byte[] sector = new BiosBootMap(0x1111_2222_3333_4444, 0x5555_6666_7777_8888, 0x9999_AAAA_BBBB_CCCC, 0xDDDD_EEEE).ToSector();

        Assert.Equal(BiosBootMap.Magic, BitConverter.ToUInt64(sector, BootMapLayout.Magic));
        Assert.Equal(0x1111_2222_3333_4444ul, BitConverter.ToUInt64(sector, BootMapLayout.ImageLba));
        Assert.Equal(0x5555_6666_7777_8888ul, BitConverter.ToUInt64(sector, BootMapLayout.ImageBytes));
        Assert.Equal(0x9999_AAAA_BBBB_CCCCul, BitConverter.ToUInt64(sector, BootMapLayout.ConfigLba));
        Assert.Equal((uint)DiskBootContract.ConfigCapacityBytes, BitConverter.ToUInt32(sector, BootMapLayout.ConfigCapacityBytes));
        Assert.Equal(0xDDDD_EEEEu, BitConverter.ToUInt32(sector, BootMapLayout.Stage2Sectors));
    }

    // The 32-bit code ends in the jump to the kernel with ebx = the start info, which lies below 1 MiB (the kernel copies
    // it first) and clear of everything stage 2 keeps in low memory.
    [Fact]
    public void TheKernelGetsTheStartInfoBelowOneMiB()
    {
        var (code, entries) = ProtectedModeGate.Emit(0x9000, 0x8000, LowMemory.Variable.PvhEntry, LowMemory.StartInfo);
        var decoder = Iced.Intel.Decoder.Create(32, code.Bytes, 0x9000);
        var enter = new List<Instruction>();
        foreach (var instruction in decoder) if (instruction.IP >= entries.EnterKernel) enter.Add(instruction);

        Assert.Contains(enter, i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.EBX && i.Immediate32 == LowMemory.StartInfo);
        Assert.Equal(Mnemonic.Jmp, enter[^1].Mnemonic);
        Assert.True(LowMemory.StartInfo + LowMemory.StartInfoBytes <= LowMemory.Variables);
        Assert.True(LowMemory.MemoryMap + LowMemory.MaxMemoryMapEntries * LowMemory.MemoryMapEntryBytes <= LowMemory.CommandLine);
        Assert.True(LowMemory.CommandLine + DiskBootContract.ConfigCapacityBytes + 1 <= LowMemory.ElfHeader);
    }

    /// <summary>
    /// Decodes from <paramref name="entry"/> along every branch it can follow (near jumps, calls, conditional branches),
    /// stopping at far jumps, returns and loops back; fails on an invalid instruction or one outside the code.
    /// </summary>
    private static List<Instruction> Reachable(byte[] code, ulong @base, ulong entry)
    {
        var seen = new SortedDictionary<ulong, Instruction>();
        var pending = new Stack<ulong>();
        pending.Push(entry);
        while (pending.Count > 0)
        {
            ulong ip = pending.Pop();
            while (!seen.ContainsKey(ip))
            {
                Assert.InRange(ip, @base, @base + (ulong)code.Length - 1);
                var decoder = Iced.Intel.Decoder.Create(16, new ByteArrayCodeReader(code, (int)(ip - @base), code.Length - (int)(ip - @base)), ip);
                var instruction = decoder.Decode();
                Assert.False(instruction.IsInvalid, $"invalid 16-bit instruction at 0x{ip:x}");
                Assert.True(instruction.NextIP <= @base + (ulong)code.Length, $"instruction at 0x{ip:x} runs past the code");
                seen[ip] = instruction;
                if (instruction.FlowControl is FlowControl.ConditionalBranch or FlowControl.Call)
                    pending.Push(instruction.NearBranchTarget);
                if (instruction.FlowControl == FlowControl.UnconditionalBranch && instruction.Op0Kind == OpKind.NearBranch16)
                {
                    ip = instruction.NearBranchTarget;
                    continue;
                }
                if (instruction.FlowControl is FlowControl.UnconditionalBranch or FlowControl.Return or FlowControl.IndirectBranch)
                    break;
                ip = instruction.NextIP;
            }
        }
        return seen.Values.ToList();
    }
}
