using System.Buffers.Binary;
using Iced.Intel;
using static Unikernel.Boot.BootMemoryLayout;

namespace Unikernel.Boot.Tests;

public class LongModeInitTests
{
    private static BootObjectFile Boot => BootObjectFile.Instance;
    private static readonly LinkedBootImage Linked = new(BootObjectFile.Instance);

    [Fact]
    public void SegmentsAndStackAreSetUp()
    {
        var code = Linked.Decode("uk_boot_long_mode_entry");
        Assert.Equal(Code.Mov_r32_imm32, code[0].Code);
        Assert.Equal(0x10u, code[0].Immediate32);
        foreach (var segment in new[] { Register.DS, Register.ES, Register.SS })
            Assert.Contains(code.Take(4), i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == segment && i.Op1Register == Register.EAX);
        int zero = code.FindIndex(i => i.Mnemonic == Mnemonic.Xor && i.Op0Register == Register.EAX && i.Op1Register == Register.EAX);
        Assert.True(zero > 0);
        foreach (var segment in new[] { Register.FS, Register.GS })
            Assert.Contains(code.Skip(zero), i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == segment);

        var stack = code.Single(i => i.Mnemonic == Mnemonic.Lea && i.Op0Register == Register.RSP);
        Assert.True(stack.IsIPRelativeMemoryOperand);
        Assert.Equal(Linked.BssAddress + BootStackTop, stack.IPRelativeMemoryAddress);
        Assert.Equal(0UL, stack.IPRelativeMemoryAddress % 16);
    }

    [Fact]
    public void SseIsEnabledAndXcr0Reported()
    {
        var code = Linked.Decode("uk_boot_enable_sse");
        var cr0Clear = code.Single(i => i.Mnemonic == Mnemonic.And && i.Op0Register == Register.RAX);
        Assert.Equal(~(ulong)(ControlRegisters.Cr0Emulation | ControlRegisters.Cr0TaskSwitched), cr0Clear.GetImmediate(1));
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.RAX && i.GetImmediate(1) == ControlRegisters.Cr0MonitorCoprocessor);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.RAX && i.GetImmediate(1) == (ControlRegisters.Cr4OsFxsr | ControlRegisters.Cr4OsXmmExcpt));
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.RAX && i.GetImmediate(1) == ControlRegisters.Cr4OsXsave);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Bt && i.Op0Register == Register.ECX && i.Immediate8 == 26);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Bt && i.Op0Register == Register.ECX && i.Immediate8 == 28);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Mov && i.Op0Register == Register.R12D && i.Immediate32 == 3);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Or && i.Op0Register == Register.R12D && i.GetImmediate(1) == 4);
        Assert.Contains(code, i => i.Mnemonic == Mnemonic.Xsetbv);
        Assert.Equal(Mnemonic.Fninit, code.Last().Mnemonic);

        // The XCR0 value (r12, zero without XSAVE) lands in uk_boot_info.Xcr0.
        var address = code.Single(i => i.Mnemonic == Mnemonic.Lea);
        Assert.Equal(Linked.AddressOf("uk_boot_info") + BootInfoLayout.Xcr0, address.IPRelativeMemoryAddress);
        var store = code[code.IndexOf(address) + 1];
        Assert.Equal(Register.R12, store.Op1Register);
        Assert.Equal(address.Op0Register, store.MemoryBase);
        // Both "no XSAVE" and "XSAVE" paths reach the store: the first jump skips to it.
        var skip = code.First(i => i.Mnemonic == Mnemonic.Jae);
        Assert.Equal(address.IP, skip.NearBranchTarget);
    }

    [Fact]
    public void TssAndItsDescriptorAreFilledAtRunTime()
    {
        var cpu = new TinyX86();
        var code = Linked.Decode("uk_boot_load_tss");
        Assert.Equal(Mnemonic.Ltr, code[^1].Mnemonic);
        Assert.Equal(Register.EAX, code[^1].Op0Register);
        Assert.Equal(0x28u, code[^2].Immediate32);
        cpu.Run(code.Take(code.Count - 1).ToList(), 64);

        ulong tss = Linked.DataAddress + Tss;
        ulong bss = Linked.BssAddress;
        Assert.Equal(bss + BootStackTop, cpu.ReadMemory(tss + DescriptorTables.TssRsp0, 8));
        Assert.Equal(bss + DoubleFaultStackTop, cpu.ReadMemory(tss + DescriptorTables.TssIst1, 8));
        Assert.Equal(bss + NmiStackTop, cpu.ReadMemory(tss + DescriptorTables.TssIst2, 8));
        Assert.Equal(bss + MachineCheckStackTop, cpu.ReadMemory(tss + DescriptorTables.TssIst3, 8));
        Assert.Equal((ulong)DescriptorTables.TssSize, BinaryPrimitives.ReadUInt16LittleEndian(Linked.Data.AsSpan(Tss + DescriptorTables.TssIoMapBase)));

        ulong descriptor = Linked.DataAddress + Gdt + DescriptorTables.TssSelector;
        ulong low = cpu.ReadMemory(descriptor, 8), high = cpu.ReadMemory(descriptor + 8, 8);
        Assert.Equal(103UL, low & 0xFFFF);                                   // limit 15:0
        ulong decodedBase = ((low >> 16) & 0xFF_FFFF) | (((low >> 56) & 0xFF) << 24) | ((high & 0xFFFF_FFFF) << 32);
        Assert.Equal(tss, decodedBase);
        Assert.Equal(0x89UL, (low >> 40) & 0xFF);                            // present, 64-bit available TSS
        Assert.Equal(0UL, (low >> 48) & 0xFF);                               // limit 19:16, flags
        Assert.Equal(0UL, high >> 32);                                       // reserved
    }

    [Fact]
    public void GdtHoldsTheContractDescriptorsInSyscallOrder()
    {
        var data = Boot.Sections[DataSection].Bytes;
        ulong Descriptor(int selector) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(Gdt + selector));
        Assert.Equal(0UL, Descriptor(0));
        Assert.Equal(0x00AF_9A00_0000_FFFFUL, Descriptor(0x08));
        Assert.Equal(0x00CF_9200_0000_FFFFUL, Descriptor(0x10));
        Assert.Equal(3UL, (Descriptor(0x18) >> 45) & 3);       // user data: DPL 3
        Assert.Equal(0x92UL & 0x9E, (Descriptor(0x18) >> 40) & 0x9E);
        Assert.Equal(3UL, (Descriptor(0x20) >> 45) & 3);       // user code: DPL 3
        Assert.Equal(1UL, (Descriptor(0x20) >> 53) & 1);       // L bit
        Assert.Equal(1UL, (Descriptor(0x20) >> 43) & 1);       // code

        Assert.Equal(DescriptorTables.GdtSize - 1, BinaryPrimitives.ReadUInt16LittleEndian(Linked.Data.AsSpan(GdtPointer)));
        Assert.Equal(Linked.DataAddress + Gdt, BinaryPrimitives.ReadUInt64LittleEndian(Linked.Data.AsSpan(GdtPointer + 2)));
        Assert.Equal(0x30, DescriptorTables.GdtSize - 8); // the TSS descriptor is the last, 16-byte slot at 0x28
    }

    [Fact]
    public void SecurityCookieIsMixedWithTscBeforeCallingTheKernel()
    {
        var code = Linked.Decode("uk_boot_call_kernel");
        Assert.Equal(Mnemonic.Rdtsc, code[0].Mnemonic);
        var xor = code.Single(i => i.Mnemonic == Mnemonic.Xor && i.Op0Kind == OpKind.Memory);
        var cookieAddress = code[code.IndexOf(xor) - 1];
        Assert.Equal(Linked.AddressOf("__security_cookie"), cookieAddress.IPRelativeMemoryAddress);

        var call = code.Single(i => i.Mnemonic == Mnemonic.Call);
        Assert.Equal(Linked.AddressOf("uk_kernel_main"), call.NearBranchTarget);
        var argument = code[code.IndexOf(call) - 1];
        Assert.Equal(Register.RDI, argument.Op0Register);
        Assert.Equal(Linked.AddressOf("uk_boot_info"), argument.IPRelativeMemoryAddress);

        // After the call: cli; hlt; jmp back to the cli.
        var tail = code.Skip(code.IndexOf(call) + 1).ToList();
        Assert.Equal(new[] { Mnemonic.Cli, Mnemonic.Hlt, Mnemonic.Jmp }, tail.Select(i => i.Mnemonic));
        Assert.Equal(tail[0].IP, tail[2].NearBranchTarget);

        // rsp is the 16-byte aligned stack top here and nothing was pushed since: the call is aligned.
        var path = new[] { "uk_boot_long_mode_entry", "uk_boot_enable_sse", "uk_boot_load_tss", "uk_boot_load_idt", "uk_boot_call_kernel" }
            .SelectMany(f => Linked.Decode(f)).ToList();
        int setStack = path.FindIndex(i => i.Op0Register == Register.RSP);
        Assert.All(path.Skip(setStack + 1).TakeWhile(i => i.Mnemonic != Mnemonic.Call), i => Assert.Equal(0, i.StackPointerIncrement));
    }
}
