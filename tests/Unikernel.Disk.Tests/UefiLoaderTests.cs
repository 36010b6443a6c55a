using System.Buffers.Binary;
using Iced.Intel;
using Unikernel.Loaders.Uefi;

namespace Unikernel.Disk.Tests;

/// <summary>
/// BOOTX64.EFI against the Microsoft PE/COFF specification ("PE Format"), field by field, and its code against Iced's
/// decoder. That the firmware accepts it and it boots an image is UefiBootTests' (integration) part.
/// </summary>
public class UefiLoaderTests
{
    private static readonly byte[] Image = UefiLoader.Build();

    private static ushort U16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(Image.AsSpan(offset));
    private static uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(Image.AsSpan(offset));
    private static ulong U64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(Image.AsSpan(offset));

    private static int PeOffset => (int)U32(0x3C);
    private static int Coff => PeOffset + 4;
    private static int Optional => Coff + 20;
    private static int Sections => Optional + U16(Coff + 16);

    [Fact]
    public void DosHeaderPointsAtThePeSignature()
    {
        Assert.Equal("MZ"u8.ToArray(), Image[..2]);
        Assert.Equal(0, PeOffset % 8);
        Assert.Equal("PE\0\0"u8.ToArray(), Image[PeOffset..(PeOffset + 4)]);
    }

    [Fact]
    public void CoffHeaderDescribesAnX64ExecutableWithoutTimestampOrSymbols()
    {
        Assert.Equal(0x8664, U16(Coff));                  // IMAGE_FILE_MACHINE_AMD64
        Assert.Equal(1, U16(Coff + 2));                   // NumberOfSections
        Assert.Equal(0u, U32(Coff + 4));                  // TimeDateStamp: reproducible
        Assert.Equal(0u, U32(Coff + 8));                  // PointerToSymbolTable
        Assert.Equal(0u, U32(Coff + 12));                 // NumberOfSymbols
        Assert.Equal(240, U16(Coff + 16));                // SizeOfOptionalHeader: PE32+ with 16 directories
        ushort characteristics = U16(Coff + 18);
        Assert.NotEqual(0, characteristics & 0x0002);     // EXECUTABLE_IMAGE
        Assert.NotEqual(0, characteristics & 0x0020);     // LARGE_ADDRESS_AWARE
        Assert.Equal(0, characteristics & 0x0001);        // not RELOCS_STRIPPED: the firmware may load it anywhere
        Assert.Equal(0, characteristics & 0x2000);        // not a DLL
    }

    [Fact]
    public void OptionalHeaderIsPe32PlusEfiApplication()
    {
        Assert.Equal(0x20B, U16(Optional));               // PE32+
        Assert.Equal(10, U16(Optional + 68));             // IMAGE_SUBSYSTEM_EFI_APPLICATION
        uint sectionAlignment = U32(Optional + 32), fileAlignment = U32(Optional + 36);
        Assert.Equal(0x1000u, sectionAlignment);
        Assert.Equal(0x200u, fileAlignment);              // a power of 2 between 512 and 64 K
        Assert.Equal(0ul, U64(Optional + 24) % 0x10000);  // ImageBase: a multiple of 64 K
        uint sizeOfHeaders = U32(Optional + 60);
        Assert.Equal(0u, sizeOfHeaders % fileAlignment);
        Assert.True(sizeOfHeaders >= Sections + 40 * U16(Coff + 2));
        Assert.Equal(0u, U32(Optional + 56) % sectionAlignment);   // SizeOfImage
        Assert.Equal(16u, U32(Optional + 108));            // NumberOfRvaAndSizes
        for (int i = 0; i < 16; i++) Assert.Equal(0ul, U64(Optional + 112 + 8 * i));   // no imports, relocations, debug data
        ushort dll = U16(Optional + 70);
        Assert.NotEqual(0, dll & 0x0040);                 // DYNAMIC_BASE
        Assert.Equal(0, dll & 0x0100);                    // not NX_COMPAT: it runs code from pages it allocates
    }

    [Fact]
    public void TextSectionHoldsTheEntryPointAndIsReadOnlyCode()
    {
        int s = Sections;
        Assert.Equal(".text\0\0\0"u8.ToArray(), Image[s..(s + 8)]);
        uint virtualSize = U32(s + 8), virtualAddress = U32(s + 12), rawSize = U32(s + 16), rawPointer = U32(s + 20);
        Assert.Equal(0x6000_0020u, U32(s + 36));          // CNT_CODE | MEM_EXECUTE | MEM_READ, not MEM_WRITE
        Assert.Equal(0u, U32(s + 24));                    // PointerToRelocations
        Assert.Equal(0u, U32(s + 28));                    // PointerToLinenumbers
        Assert.Equal(0u, U32(s + 32));                    // NumberOfRelocations, NumberOfLinenumbers
        Assert.Equal(U32(Optional + 60), rawPointer);     // right after the headers
        Assert.Equal(0u, rawPointer % U32(Optional + 36));
        Assert.Equal(0u, rawSize % U32(Optional + 36));
        Assert.True(rawSize >= virtualSize);
        Assert.Equal(Image.Length, (int)(rawPointer + rawSize));
        Assert.Equal(0u, virtualAddress % U32(Optional + 32));
        Assert.True(virtualAddress >= U32(Optional + 60));
        Assert.Equal(virtualAddress + ((virtualSize + 0xFFF) & ~0xFFFu), U32(Optional + 56));   // SizeOfImage
        Assert.Equal(virtualAddress, U32(Optional + 20)); // BaseOfCode
        Assert.Equal(rawSize, U32(Optional + 4));         // SizeOfCode
        uint entry = U32(Optional + 16);
        Assert.InRange(entry, virtualAddress, virtualAddress + virtualSize - 1);
    }

    [Fact]
    public void ChecksumIsTheImagehlpSum()
    {
        int field = Optional + 64;
        uint sum = 0;
        for (int i = 0; i < Image.Length; i += 2)
        {
            if (i == field || i == field + 2) continue;
            sum += U16(i);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        Assert.Equal(sum + (uint)Image.Length, U32(field));
    }

    // An independent reader of PE files: binutils' objdump (BFD's pei-x86-64 target) must read back what we wrote.
    [SkippableFact]
    public void ObjdumpReadsItAsAnX64EfiApplication()
    {
        Skip.IfNot(File.Exists("/usr/bin/objdump"), "objdump is missing (Debian's binutils)");
        string path = Path.Combine(Path.GetTempPath(), $"uk-bootx64-{Environment.ProcessId}.efi");
        File.WriteAllBytes(path, Image);
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/objdump", ["-x", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var objdump = System.Diagnostics.Process.Start(start)!;
            string output = objdump.StandardOutput.ReadToEnd();
            string errors = objdump.StandardError.ReadToEnd();
            objdump.WaitForExit();

            Assert.True(objdump.ExitCode == 0 && errors.Length == 0, errors);
            Assert.Contains("file format pei-x86-64", output);
            Assert.Matches(@"Subsystem\s+0000000a\s+\(EFI application\)", output);
            Assert.Contains($"start address 0x{U64(Optional + 24) + U32(Optional + 16):x16}", output);
            Assert.Matches(@"0 \.text\s+[0-9a-f]+\s+0000000140001000\s+0000000140001000\s+00000200", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BuildIsDeterministic() => Assert.Equal(Image, UefiLoader.Build());

    [Fact]
    public void CodeDecodesFromTheEntryToTheDataWithBranchesInside()
    {
        const ulong address = 0x1_4000_1000;
        var loader = LoaderProgram.Assemble(address);
        Assert.Equal(Image[(int)U32(Sections + 20)..][..loader.Code.Length], loader.Code);   // the same bytes as the image's .text
        var instructions = Decode(loader.Code.AsSpan(0, loader.InstructionBytes), 64, address);

        Assert.Equal((ulong)loader.InstructionBytes, instructions[^1].NextIP - address);
        Assert.DoesNotContain(instructions, i => i.Code == Code.INVALID);
        foreach (var i in instructions.Where(i => i.IsJccShortOrNear || i.IsJmpShortOrNear || i.IsCallNear))
            Assert.InRange(i.NearBranchTarget, address, address + (ulong)loader.InstructionBytes - 1);
        // Position independent: memory is reached RIP-relative (inside the section), through the stack frame or through
        // pointers the firmware handed over -- never at an absolute address.
        foreach (var i in instructions)
            for (int op = 0; op < i.OpCount; op++)
            {
                if (i.GetOpKind(op) != OpKind.Memory) continue;
                if (i.IsIPRelativeMemoryOperand)
                    Assert.InRange(i.IPRelativeMemoryAddress, address, address + (ulong)loader.Code.Length - 1);
                else
                    Assert.NotEqual(Register.None, i.MemoryBase);
            }
        // The way out of long mode: interrupts off, our GDT, a far return into 32-bit code.
        Assert.Contains(instructions, i => i.Code == Code.Cli);
        Assert.Contains(instructions, i => i.Mnemonic == Mnemonic.Lgdt);
        Assert.Single(instructions, i => i.Code == Code.Retfq);
    }

    [Fact]
    public void TrampolineTurnsOffPagingThenLongModeAndJumpsThroughARegister()
    {
        var trampoline = Decode(ProtectedModeTrampoline.Assemble(), 32, 0);

        Assert.DoesNotContain(trampoline, i => i.Code == Code.INVALID);
        int pagingOff = trampoline.FindIndex(i => i.Code == Code.Mov_cr_r32 && i.Op0Register == Register.CR0);
        int eferWrite = trampoline.FindIndex(i => i.Code == Code.Wrmsr);
        int firstCopy = trampoline.FindIndex(i => i.Mnemonic == Mnemonic.Movsd || i.Mnemonic == Mnemonic.Movsb);
        Assert.True(pagingOff >= 0 && pagingOff < eferWrite && eferWrite < firstCopy);
        Assert.Equal(Code.Jmp_rm32, trampoline[^1].Code);
        Assert.Equal(Register.EAX, trampoline[^1].Op0Register);
        // No absolute address: it runs wherever the transfer block is, through ebp (the block) and ebx (the copy list).
        foreach (var i in trampoline)
            for (int op = 0; op < i.OpCount; op++)
                if (i.GetOpKind(op) == OpKind.Memory)
                    Assert.Contains(i.MemoryBase, new[] { Register.EBP, Register.EBX });
        Assert.True(HandoffLayout.Trampoline + ProtectedModeTrampoline.Assemble().Length <= HandoffLayout.TransferPages * 4096);
    }

    [Fact]
    public void HandoffLayoutFitsItsBlocks()
    {
        Assert.True(HandoffLayout.Copies + HandoffLayout.MaxLoadSegments * HandoffLayout.CopyBytes <= HandoffLayout.Trampoline);
        Assert.True(HandoffLayout.MemoryMap + HandoffLayout.MaxMemoryMapEntries * HandoffLayout.MemoryMapEntryBytes <= HandoffLayout.CommandLine);
        Assert.Equal(HandoffLayout.StartInfoPages * 4096, HandoffLayout.CommandLine + HandoffLayout.MaxCommandLineBytes);
        Assert.True(HandoffLayout.StartInfoMemoryType >= 0x8000_0000);   // UEFI leaves 0x80000000-0xFFFFFFFF to OS loaders
    }

    [Theory]
    [InlineData(1, 1)]   // EfiLoaderCode: RAM once the kernel runs
    [InlineData(2, 1)]   // EfiLoaderData
    [InlineData(3, 1)]   // EfiBootServicesCode
    [InlineData(4, 1)]   // EfiBootServicesData
    [InlineData(7, 1)]   // EfiConventionalMemory
    [InlineData(0, 2)]   // EfiReservedMemoryType
    [InlineData(5, 2)]   // EfiRuntimeServicesCode: the firmware keeps it
    [InlineData(6, 2)]   // EfiRuntimeServicesData
    [InlineData(8, 5)]   // EfiUnusableMemory
    [InlineData(9, 3)]   // EfiACPIReclaimMemory
    [InlineData(10, 4)]  // EfiACPIMemoryNVS
    [InlineData(11, 2)]  // EfiMemoryMappedIO
    [InlineData(14, 2)]  // EfiPersistentMemory
    [InlineData(15, 2)]  // EfiUnacceptedMemoryType
    public void UefiMemoryTypesBecomeTheirE820Types(int uefiType, int e820Type)
        => Assert.Equal(e820Type, HandoffLayout.E820TypeOfUefiType[uefiType]);

    private static List<Instruction> Decode(ReadOnlySpan<byte> code, int bitness, ulong address)
    {
        var decoder = Iced.Intel.Decoder.Create(bitness, new ByteArrayCodeReader(code.ToArray()), address);
        var list = new List<Instruction>();
        while (decoder.IP < address + (ulong)code.Length) list.Add(decoder.Decode());
        return list;
    }
}
