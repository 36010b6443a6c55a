using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Uefi.EfiAbi;
using static Unikernel.Loaders.Uefi.HandoffLayout;

namespace Unikernel.Loaders.Uefi;

/// <summary>
/// The loader's 64-bit code, the EFI application's entry point efi_main(ImageHandle, SystemTable), Microsoft x64
/// calling convention. In order: the boot volume from the loaded image's device; \UK\IMAGE.ELF read into pages below
/// 4 GiB and checked (ELF64, x86-64, ET_EXEC, PT_LOADs inside the file and below 4 GiB, a PVH entry note); the
/// transfer and start-info blocks (<see cref="HandoffLayout"/>) allocated outside the image's load range; \UK\CMDLINE.TXT
/// (none: an empty command line); the RSDP from the configuration table (ACPI 2.0, else 1.0); the memory map converted
/// to E820 and ExitBootServices (retried once with a fresh map, as UEFI 7.4 allows); then a far return into the
/// transfer block's 32-bit code (<see cref="ProtectedModeTrampoline"/>). Any failure before ExitBootServices prints one
/// line through ConOut and returns its EFI status; after a failed ExitBootServices it returns without printing.
///
/// Position independent: data is reached RIP-relative, mutable state lives in the stack frame (r15 = frame base), so
/// the image needs no relocations and has one read-only code section.
/// </summary>
internal sealed class LoaderProgram
{
    public const string MessagePrefix = "UK UEFI loader: ";

    // Stack frame, r15-relative: 32 bytes of shadow space and two outgoing stack arguments, then locals.
    private const int ImageHandle = 64, SystemTable = 72, BootServices = 80, LoadedImage = 88, FileSystem = 96, Root = 104,
        File = 112, ElfBuffer = 120, ElfSize = 128, ElfPages = 136, TransferBlock = 144, StartInfoBlock = 152, LoadLow = 160,
        LoadHigh = 168, Entry = 176, SegmentCount = 184, MapBuffer = 192, MapCapacity = 200, MapSize = 208, MapKey = 216,
        DescriptorSize = 224, DescriptorVersion = 232, MapEntries = 240, Quiet = 248, Attempt = 256, Status = 264,
        InfoSize = 272, ReadSize = 280, AllocationAddress = 288, FileInfoBuffer = 320, FileInfoBytes = 512,
        Segments = FileInfoBuffer + FileInfoBytes, HexText = Segments + MaxLoadSegments * CopyBytes, HexTextBytes = 64;
    private const int FrameBytes = HexText + HexTextBytes + 8;   // + 8: rsp is 16-byte aligned after 8 pushes
    private static readonly AssemblerRegister64[] SavedRegisters = [rbx, rbp, rsi, rdi, r12, r13, r14, r15];

    private const ulong FourGiB = 0x1_0000_0000;
    private const ulong OneMiB = 0x10_0000;
    private const uint XenElfNoteName = 0x006E_6558;   // "Xen\0"
    private const uint XenElfNotePhys32Entry = 18;

    private readonly Assembler _a = new(64);
    private readonly List<(Label Label, byte[] Bytes)> _data = [];
    private readonly List<(Label Label, ulong? Status, Label Message)> _failures = [];
    private readonly Dictionary<string, Label> _strings = [];
    private Label _fail, _print, _allocateBelow, _allocateOutside, _openFile, _fileSize, _readFile, _closeFile, _convertMap;

    public static (byte[] Code, int EntryOffset) Assemble(ulong address)
    {
        var program = new LoaderProgram();
        program.Generate();
        var writer = new CodeWriterBuffer();
        program._a.Assemble(writer, address);
        return (writer.ToArray(), 0);
    }

    private void Generate()
    {
        var a = _a;
        _fail = a.CreateLabel(); _print = a.CreateLabel(); _allocateBelow = a.CreateLabel(); _allocateOutside = a.CreateLabel();
        _openFile = a.CreateLabel(); _fileSize = a.CreateLabel(); _readFile = a.CreateLabel(); _closeFile = a.CreateLabel();
        _convertMap = a.CreateLabel();

        Main();
        Fail();
        Subroutines();
        foreach (var (label, status, message) in _failures)
        {
            var l = label;
            a.Label(ref l);
            if (status is { } s) a.mov(rax, s);
            a.lea(rsi, __[message]);
            a.jmp(_fail);
        }
        foreach (var (label, bytes) in _data)
        {
            var l = label;
            a.Label(ref l);
            a.db(bytes);
        }
    }

    private void Main()
    {
        var a = _a;
        foreach (var r in SavedRegisters) a.push(r);
        a.sub(rsp, FrameBytes);
        a.mov(r15, rsp);
        a.mov(__qword_ptr[r15 + ImageHandle], rcx);
        a.mov(__qword_ptr[r15 + SystemTable], rdx);
        a.mov(rax, __qword_ptr[rdx + SystemTableBootServices]);
        a.mov(__qword_ptr[r15 + BootServices], rax);
        a.mov(__qword_ptr[r15 + Quiet], 0);
        a.mov(__qword_ptr[r15 + Attempt], 0);

        // The volume this application was loaded from.
        a.mov(rcx, __qword_ptr[r15 + ImageHandle]);
        a.lea(rdx, __[Data(LoadedImageProtocol.ToByteArray())]);
        a.lea(r8, __[r15 + LoadedImage]);
        CallBootService(HandleProtocol);
        FailOnError("cannot get the loaded image protocol");
        a.mov(rax, __qword_ptr[r15 + LoadedImage]);
        a.mov(rcx, __qword_ptr[rax + LoadedImageDeviceHandle]);
        a.lea(rdx, __[Data(SimpleFileSystemProtocol.ToByteArray())]);
        a.lea(r8, __[r15 + FileSystem]);
        CallBootService(HandleProtocol);
        FailOnError("the boot device has no file system");
        a.mov(rcx, __qword_ptr[r15 + FileSystem]);
        a.lea(rdx, __[r15 + Root]);
        a.call(__qword_ptr[rcx + OpenVolume]);
        FailOnError("cannot open the boot volume");

        ReadImage();
        CheckImage();
        AllocateHandoffBlocks();
        ReadCommandLine();
        FindRsdp();
        FillTransferBlock();
        ExitBootServicesWithMap();
        EnterTrampoline();
    }

    private void ReadImage()
    {
        var a = _a;
        string image = DiskBootContract.ImagePath;
        a.lea(rdx, __[Utf16(image)]);
        a.call(_openFile);
        FailOnError($"cannot open {image}");
        a.call(_fileSize);
        FailOnError($"cannot read the size of {image}");
        a.mov(rax, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.mov(__qword_ptr[r15 + ElfSize], rax);
        a.cmp(rax, 64);
        a.jb(Failure(LoadError, $"{image} is too small to be an ELF file"));
        a.mov(rcx, FourGiB);
        a.cmp(rax, rcx);
        a.jae(Failure(LoadError, $"{image} is larger than 4 GiB"));
        a.add(rax, 0xFFF);
        a.shr(rax, 12);
        a.mov(__qword_ptr[r15 + ElfPages], rax);
        // Below 4 GiB, where the 32-bit copy can reach it; moved later if it overlaps the image's load range.
        a.mov(rcx, rax);
        a.mov(edx, LoaderData);
        a.mov(r8, FourGiB - 1);
        a.call(_allocateBelow);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, $"no memory below 4 GiB for {image}"));
        a.mov(__qword_ptr[r15 + ElfBuffer], rax);
        a.mov(rdx, rax);
        a.mov(r8, __qword_ptr[r15 + ElfSize]);
        a.call(_readFile);
        FailOnError($"cannot read {image}");
        a.mov(rax, __qword_ptr[r15 + ReadSize]);
        a.cmp(rax, __qword_ptr[r15 + ElfSize]);
        a.jne(Failure(LoadError, $"{image} ended before its size"));
        a.call(_closeFile);
    }

    // ELF64 (System V gABI, x86-64 psABI): e_ident, e_type 2, e_machine 62, 56-byte program headers inside the file.
    private void CheckImage()
    {
        var a = _a;
        string image = DiskBootContract.ImagePath;
        var notElf = Failure(LoadError, $"{image} is not an ELF64 x86-64 executable");
        var badHeaders = Failure(LoadError, $"{image} has a corrupt program header table");
        var badSegment = Failure(LoadError, $"{image} has a PT_LOAD outside the file, beyond its memory size or outside [1 MiB, 4 GiB)");
        var badNote = Failure(LoadError, $"{image} has a PT_NOTE outside the file");

        a.mov(r12, __qword_ptr[r15 + ElfBuffer]);
        a.mov(r13, __qword_ptr[r15 + ElfSize]);
        a.cmp(__dword_ptr[r12], 0x464C_457F);             // "\x7fELF"
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 4], 0x0102);               // ELFCLASS64, ELFDATA2LSB
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 16], 2);                   // ET_EXEC
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 18], 62);                  // EM_X86_64
        a.jne(notElf);
        a.cmp(__word_ptr[r12 + 54], 56);                  // e_phentsize
        a.jne(badHeaders);
        a.movzx(r14d, __word_ptr[r12 + 56]);              // e_phnum
        a.test(r14d, r14d);
        a.jz(badHeaders);
        a.mov(rax, __qword_ptr[r12 + 32]);                // e_phoff
        a.cmp(rax, r13);
        a.ja(badHeaders);
        a.imul(rdx, r14, 56);
        a.mov(rcx, r13);
        a.sub(rcx, rax);
        a.cmp(rdx, rcx);
        a.ja(badHeaders);
        a.lea(rbx, __[r12 + rax]);

        a.mov(rax, ulong.MaxValue);
        a.mov(__qword_ptr[r15 + LoadLow], rax);
        a.mov(__qword_ptr[r15 + LoadHigh], 0);
        a.mov(__qword_ptr[r15 + Entry], 0);
        a.mov(__qword_ptr[r15 + SegmentCount], 0);

        var header = a.CreateLabel();
        var load = a.CreateLabel();
        var note = a.CreateLabel();
        var nextHeader = a.CreateLabel();
        var headersDone = a.CreateLabel();
        a.Label(ref header);
        a.mov(eax, __dword_ptr[rbx]);                     // p_type
        a.cmp(eax, 1);                                    // PT_LOAD
        a.je(load);
        a.cmp(eax, 4);                                    // PT_NOTE
        a.je(note);
        a.jmp(nextHeader);

        a.Label(ref load);
        a.mov(rax, __qword_ptr[rbx + 8]);                 // p_offset
        a.mov(rcx, __qword_ptr[rbx + 32]);                // p_filesz
        a.mov(rdx, __qword_ptr[rbx + 40]);                // p_memsz
        a.mov(r8, __qword_ptr[rbx + 24]);                 // p_paddr
        a.cmp(rax, r13);
        a.ja(badSegment);
        a.mov(r9, r13);
        a.sub(r9, rax);
        a.cmp(rcx, r9);
        a.ja(badSegment);
        a.cmp(rcx, rdx);
        a.ja(badSegment);
        a.mov(r9, FourGiB);
        a.cmp(r8, (int)OneMiB);
        a.jb(badSegment);
        a.cmp(r8, r9);
        a.jae(badSegment);
        a.cmp(rdx, r9);
        a.jae(badSegment);
        a.lea(r10, __[r8 + rdx]);
        a.cmp(r10, r9);
        a.ja(badSegment);
        a.mov(r11, __qword_ptr[r15 + SegmentCount]);
        a.cmp(r11, MaxLoadSegments);
        a.jae(Failure(LoadError, $"{image} has more than {MaxLoadSegments} PT_LOAD segments"));
        a.shl(r11, 4);
        a.lea(r11, __[r15 + r11 + Segments]);
        a.mov(__dword_ptr[r11], r8d);                     // destination
        a.mov(__dword_ptr[r11 + 4], eax);                 // file offset, made an address once the buffer is final
        a.mov(__dword_ptr[r11 + 8], ecx);
        a.sub(edx, ecx);
        a.mov(__dword_ptr[r11 + 12], edx);
        a.inc(__qword_ptr[r15 + SegmentCount]);
        var notLower = a.CreateLabel();
        a.cmp(r8, __qword_ptr[r15 + LoadLow]);
        a.jae(notLower);
        a.mov(__qword_ptr[r15 + LoadLow], r8);
        a.Label(ref notLower);
        var notHigher = a.CreateLabel();
        a.cmp(r10, __qword_ptr[r15 + LoadHigh]);
        a.jbe(notHigher);
        a.mov(__qword_ptr[r15 + LoadHigh], r10);
        a.Label(ref notHigher);
        a.jmp(nextHeader);

        // Notes: { u32 namesz, descsz, type; name and desc, each padded to 4 bytes }.
        a.Label(ref note);
        a.mov(rax, __qword_ptr[rbx + 8]);
        a.mov(rcx, __qword_ptr[rbx + 32]);
        a.cmp(rax, r13);
        a.ja(badNote);
        a.mov(r9, r13);
        a.sub(r9, rax);
        a.cmp(rcx, r9);
        a.ja(badNote);
        a.lea(rsi, __[r12 + rax]);                        // the note being read
        a.lea(rdi, __[rsi + rcx]);                        // end of the segment
        var nextNote = a.CreateLabel();
        a.Label(ref nextNote);
        a.mov(rax, rdi);
        a.sub(rax, rsi);
        a.cmp(rax, 12);
        a.jb(nextHeader);
        a.mov(ecx, __dword_ptr[rsi]);
        a.add(rcx, 3);
        a.and(rcx, -4);
        a.mov(edx, __dword_ptr[rsi + 4]);
        a.add(rdx, 3);
        a.and(rdx, -4);
        a.lea(r8, __[rsi + rcx + 12]);                    // the descriptor
        a.lea(r9, __[r8 + rdx]);                          // the next note
        a.cmp(r9, rdi);
        a.ja(nextHeader);                                 // a truncated note ends the segment
        var notXen = a.CreateLabel();
        a.cmp(__dword_ptr[rsi], 4);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 8], XenElfNotePhys32Entry);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 12], XenElfNoteName);
        a.jne(notXen);
        a.cmp(__dword_ptr[rsi + 4], 4);
        a.jb(notXen);
        a.mov(eax, __dword_ptr[r8]);
        a.mov(__qword_ptr[r15 + Entry], rax);
        a.Label(ref notXen);
        a.mov(rsi, r9);
        a.jmp(nextNote);

        a.Label(ref nextHeader);
        a.add(rbx, 56);
        a.dec(r14d);
        a.jnz(header);

        a.Label(ref headersDone);
        a.cmp(__qword_ptr[r15 + SegmentCount], 0);
        a.je(Failure(LoadError, $"{image} has no PT_LOAD segment"));
        var noEntry = Failure(LoadError, $"{image} has no PVH entry inside its PT_LOAD segments (ELF note \"Xen\", type 18)");
        a.mov(rax, __qword_ptr[r15 + Entry]);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jb(noEntry);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(noEntry);

        // Move the file out of the way if the image is to be copied over it.
        var clear = a.CreateLabel();
        a.mov(rax, __qword_ptr[r15 + ElfBuffer]);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(clear);
        a.mov(rcx, __qword_ptr[r15 + ElfPages]);
        a.shl(rcx, 12);
        a.add(rax, rcx);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jbe(clear);
        a.mov(rcx, __qword_ptr[r15 + ElfPages]);
        a.mov(edx, LoaderData);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, $"no memory below 4 GiB outside the image's load range for {image}"));
        a.mov(rsi, __qword_ptr[r15 + ElfBuffer]);
        a.mov(rdi, rax);
        a.mov(rcx, __qword_ptr[r15 + ElfSize]);
        a.cld();
        a.rep.movsb();
        a.mov(rcx, __qword_ptr[r15 + ElfBuffer]);
        a.mov(__qword_ptr[r15 + ElfBuffer], rax);
        a.mov(rdx, __qword_ptr[r15 + ElfPages]);
        CallBootService(FreePages);
        a.Label(ref clear);
    }

    private void AllocateHandoffBlocks()
    {
        var a = _a;
        a.mov(ecx, TransferPages);
        a.mov(edx, LoaderCode);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, "no memory below 4 GiB outside the image's load range for the hand-off"));
        a.mov(__qword_ptr[r15 + TransferBlock], rax);
        a.mov(ecx, StartInfoPages);
        a.mov(edx, StartInfoMemoryType);
        a.call(_allocateOutside);
        a.test(rax, rax);
        a.jz(Failure(OutOfResources, "no memory below 4 GiB outside the image's load range for the start info"));
        a.mov(__qword_ptr[r15 + StartInfoBlock], rax);
        a.mov(rdi, rax);
        a.xor(eax, eax);
        a.mov(ecx, StartInfoPages * 4096);
        a.cld();
        a.rep.stosb();
    }

    private void ReadCommandLine()
    {
        var a = _a;
        string config = DiskBootContract.ConfigPath;
        var none = a.CreateLabel();
        a.lea(rdx, __[Utf16(config)]);
        a.call(_openFile);
        a.mov(rcx, NotFound);
        a.cmp(rax, rcx);
        a.je(none);
        FailOnError($"cannot open {config}");
        a.call(_fileSize);
        FailOnError($"cannot read the size of {config}");
        a.mov(r8, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.cmp(r8, MaxCommandLineBytes - 1);
        a.ja(Failure(BadBufferSize, $"{config} is longer than {MaxCommandLineBytes - 1} bytes"));
        a.mov(rdx, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rdx, CommandLine);
        a.call(_readFile);
        FailOnError($"cannot read {config}");
        a.mov(rax, __qword_ptr[r15 + ReadSize]);
        a.cmp(rax, __qword_ptr[r15 + FileInfoBuffer + FileInfoFileSize]);
        a.jne(Failure(LoadError, $"{config} ended before its size"));
        a.call(_closeFile);
        a.Label(ref none);   // the block is zeroed: the command line is NUL-terminated, empty without a file
    }

    private void FindRsdp()
    {
        var a = _a;
        a.mov(rax, __qword_ptr[r15 + SystemTable]);
        a.mov(rcx, __qword_ptr[rax + SystemTableEntryCount]);
        a.mov(rdx, __qword_ptr[rax + SystemTableConfiguration]);
        a.xor(r8d, r8d);                                  // ACPI 1.0 RSDP
        a.xor(r9d, r9d);                                  // ACPI 2.0 RSDP
        a.lea(r10, __[Data(Acpi20Table.ToByteArray())]);
        a.lea(r11, __[Data(Acpi10Table.ToByteArray())]);
        var entry = a.CreateLabel();
        var tryAcpi10 = a.CreateLabel();
        var next = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref entry);
        a.test(rcx, rcx);
        a.jz(done);
        a.mov(rax, __qword_ptr[rdx]);
        a.cmp(rax, __qword_ptr[r10]);
        a.jne(tryAcpi10);
        a.mov(rax, __qword_ptr[rdx + 8]);
        a.cmp(rax, __qword_ptr[r10 + 8]);
        a.jne(tryAcpi10);
        a.mov(r9, __qword_ptr[rdx + 16]);
        a.jmp(next);
        a.Label(ref tryAcpi10);
        a.mov(rax, __qword_ptr[rdx]);
        a.cmp(rax, __qword_ptr[r11]);
        a.jne(next);
        a.mov(rax, __qword_ptr[rdx + 8]);
        a.cmp(rax, __qword_ptr[r11 + 8]);
        a.jne(next);
        a.mov(r8, __qword_ptr[rdx + 16]);
        a.Label(ref next);
        a.add(rdx, ConfigurationEntryBytes);
        a.dec(rcx);
        a.jmp(entry);
        a.Label(ref done);
        a.test(r9, r9);
        a.cmovz(r9, r8);
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoRsdpField], r9);
    }

    private void FillTransferBlock()
    {
        var a = _a;
        // The start info, but for the memory map's length (known once the final map is read).
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__dword_ptr[rdi + StartInfo], StartInfoMagic);
        a.mov(__dword_ptr[rdi + StartInfo + StartInfoVersionField], 1);
        a.lea(rax, __[rdi + CommandLine]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoCommandLineField], rax);
        a.lea(rax, __[rdi + MemoryMap]);
        a.mov(__qword_ptr[rdi + StartInfo + StartInfoMemoryMapField], rax);

        a.mov(rbx, __qword_ptr[r15 + TransferBlock]);
        a.cld();
        a.lea(rsi, __[Data(GdtEntries.SelectMany(BitConverter.GetBytes).ToArray())]);
        a.lea(rdi, __[rbx + Gdt]);
        a.mov(ecx, GdtBytes);
        a.rep.movsb();
        a.mov(__word_ptr[rbx + GdtPointer], GdtBytes - 1);
        a.lea(rax, __[rbx + Gdt]);
        a.mov(__qword_ptr[rbx + GdtPointer + 2], rax);
        a.mov(rax, __qword_ptr[r15 + Entry]);
        a.mov(__dword_ptr[rbx + EntryAddress], eax);
        a.mov(rax, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(__dword_ptr[rbx + StartInfoAddress], eax);
        a.mov(rcx, __qword_ptr[r15 + SegmentCount]);
        a.mov(__dword_ptr[rbx + CopyCount], ecx);
        a.lea(rsi, __[r15 + Segments]);
        a.lea(rdi, __[rbx + Copies]);
        a.mov(rdx, __qword_ptr[r15 + ElfBuffer]);
        var copy = a.CreateLabel();
        a.Label(ref copy);
        a.mov(rax, __qword_ptr[rsi]);
        a.mov(__qword_ptr[rdi], rax);
        a.add(__dword_ptr[rdi + 4], edx);                 // file offset -> address (both below 4 GiB)
        a.mov(rax, __qword_ptr[rsi + 8]);
        a.mov(__qword_ptr[rdi + 8], rax);
        a.add(rsi, CopyBytes);
        a.add(rdi, CopyBytes);
        a.dec(rcx);
        a.jnz(copy);

        byte[] trampoline = ProtectedModeTrampoline.Assemble();
        if (Trampoline + trampoline.Length > TransferPages * 4096) throw new InvalidOperationException("the trampoline does not fit its page");
        a.lea(rsi, __[Data(trampoline)]);
        a.lea(rdi, __[rbx + Trampoline]);
        a.mov(ecx, trampoline.Length);
        a.rep.movsb();
    }

    private void ExitBootServicesWithMap()
    {
        var a = _a;
        var sized = a.CreateLabel();
        a.mov(__qword_ptr[r15 + MapSize], 0);
        GetMemoryMap(withBuffer: false);
        a.mov(rcx, BufferTooSmall);
        a.cmp(rax, rcx);
        a.je(sized);
        a.test(rax, rax);
        a.jns(Failure(LoadError, "GetMemoryMap accepted an empty buffer"));
        a.jmp(StatusFailure("cannot read the memory map"));
        a.Label(ref sized);
        // Room for the descriptors the pool allocation itself may add, and then some.
        a.mov(rdx, __qword_ptr[r15 + DescriptorSize]);
        a.shl(rdx, 4);
        a.add(rdx, __qword_ptr[r15 + MapSize]);
        a.mov(__qword_ptr[r15 + MapCapacity], rdx);
        a.mov(ecx, LoaderData);
        a.lea(r8, __[r15 + MapBuffer]);
        CallBootService(AllocatePool);
        FailOnError("cannot allocate the memory map");

        var attempt = a.CreateLabel();
        var exited = a.CreateLabel();
        a.Label(ref attempt);
        a.mov(rax, __qword_ptr[r15 + MapCapacity]);
        a.mov(__qword_ptr[r15 + MapSize], rax);
        GetMemoryMap(withBuffer: true);
        FailOnError("cannot read the memory map");
        a.call(_convertMap);
        a.test(eax, eax);
        a.js(Failure(BufferTooSmall, $"the memory map has more than {MaxMemoryMapEntries} entries"));
        a.mov(__qword_ptr[r15 + MapEntries], rax);

        // The image's load range must be RAM the OS owns once boot services are gone.
        var search = a.CreateLabel();
        var found = a.CreateLabel();
        var skip = a.CreateLabel();
        a.mov(rsi, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rsi, MemoryMap);
        a.mov(ecx, eax);
        a.Label(ref search);
        a.jrcxz(Failure(LoadError, "the image's load range is not free RAM in the memory map"));
        a.cmp(__dword_ptr[rsi + 16], E820Ram);
        a.jne(skip);
        a.mov(rax, __qword_ptr[rsi]);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.ja(skip);
        a.add(rax, __qword_ptr[rsi + 8]);
        a.cmp(rax, __qword_ptr[r15 + LoadHigh]);
        a.jae(found);
        a.Label(ref skip);
        a.add(rsi, MemoryMapEntryBytes);
        a.dec(rcx);
        a.jmp(search);
        a.Label(ref found);

        a.mov(rcx, __qword_ptr[r15 + ImageHandle]);
        a.mov(rdx, __qword_ptr[r15 + MapKey]);
        CallBootService(EfiAbi.ExitBootServices);
        a.test(rax, rax);
        a.jz(exited);
        // Boot services may now be half gone: no more output. A stale map key is the one error worth a second try.
        a.mov(__qword_ptr[r15 + Quiet], 1);
        a.mov(rcx, InvalidParameter);
        a.cmp(rax, rcx);
        a.jne(_fail);
        a.cmp(__qword_ptr[r15 + Attempt], 0);
        a.jne(_fail);
        a.mov(__qword_ptr[r15 + Attempt], 1);
        a.jmp(attempt);
        a.Label(ref exited);
    }

    private void GetMemoryMap(bool withBuffer)
    {
        var a = _a;
        a.lea(rcx, __[r15 + MapSize]);
        if (withBuffer) a.mov(rdx, __qword_ptr[r15 + MapBuffer]);
        else a.xor(edx, edx);
        a.lea(r8, __[r15 + MapKey]);
        a.lea(r9, __[r15 + DescriptorSize]);
        a.lea(rax, __[r15 + DescriptorVersion]);
        a.mov(__qword_ptr[rsp + 32], rax);
        CallBootService(EfiAbi.GetMemoryMap);
    }

    private void EnterTrampoline()
    {
        var a = _a;
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.mov(rax, __qword_ptr[r15 + MapEntries]);
        a.mov(__dword_ptr[rdi + StartInfo + StartInfoMemoryMapEntriesField], eax);
        a.cli();
        // Keep only what long mode needs (PAE, and LA57 if the firmware uses 5-level paging): PCIDE would make the
        // trampoline's clearing of CR0.PG fault.
        a.mov(rax, cr4);
        a.and(eax, 0x1020);
        a.mov(cr4, rax);
        a.mov(rbp, __qword_ptr[r15 + TransferBlock]);
        a.lgdt(__[rbp + GdtPointer]);
        a.push(CodeSelector);
        a.lea(rax, __[rbp + Trampoline]);
        a.push(rax);
        a.AddInstruction(Instruction.Create(Code.Retfq));   // into the 32-bit code segment: compatibility mode
    }

    private void Fail()
    {
        var a = _a;
        var done = a.CreateLabel();
        a.Label(ref _fail);
        a.mov(__qword_ptr[r15 + Status], rax);
        a.cmp(__qword_ptr[r15 + Quiet], 0);
        a.jne(done);
        a.lea(rdx, __[Utf16(MessagePrefix)]);
        a.call(_print);
        a.mov(rdx, rsi);
        a.call(_print);
        a.lea(rdx, __[Utf16(" (EFI status 0x")]);
        a.call(_print);
        // The status as 16 hexadecimal digits, then ")\r\n".
        a.lea(rdi, __[r15 + HexText]);
        a.mov(rdx, __qword_ptr[r15 + Status]);
        a.mov(ecx, 16);
        var digit = a.CreateLabel();
        var decimal_ = a.CreateLabel();
        a.Label(ref digit);
        a.rol(rdx, 4);
        a.mov(eax, edx);
        a.and(eax, 15);
        a.cmp(eax, 10);
        a.jb(decimal_);
        a.add(eax, 'A' - 10 - '0');
        a.Label(ref decimal_);
        a.add(eax, '0');
        a.mov(__word_ptr[rdi], ax);
        a.add(rdi, 2);
        a.dec(ecx);
        a.jnz(digit);
        a.mov(__dword_ptr[rdi], 0x000D_0029);             // ")" "\r"
        a.mov(__dword_ptr[rdi + 4], 0x0000_000A);         // "\n" NUL
        a.lea(rdx, __[r15 + HexText]);
        a.call(_print);
        a.Label(ref done);
        a.mov(rax, __qword_ptr[r15 + Status]);
        a.add(rsp, FrameBytes);
        for (int i = SavedRegisters.Length - 1; i >= 0; i--) a.pop(SavedRegisters[i]);
        a.ret();
    }

    // Subroutines: entered with rsp 8 bytes below 16-byte alignment; each realigns before calling the firmware.
    private void Subroutines()
    {
        var a = _a;

        // print(rdx = UTF-16 string) through ConOut.OutputString.
        a.Label(ref _print);
        a.sub(rsp, 40);
        a.mov(rcx, __qword_ptr[r15 + SystemTable]);
        a.mov(rcx, __qword_ptr[rcx + SystemTableConOut]);
        a.call(__qword_ptr[rcx + OutputString]);
        a.add(rsp, 40);
        a.ret();

        // allocateBelow(rcx = pages, edx = memory type, r8 = highest address) -> rax = address, or 0.
        var allocated = a.CreateLabel();
        a.Label(ref _allocateBelow);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + AllocationAddress], r8);
        a.mov(r8, rcx);
        a.mov(ecx, AllocateMaxAddress);
        a.lea(r9, __[r15 + AllocationAddress]);
        CallBootService(AllocatePages);
        a.test(rax, rax);
        a.mov(rax, __qword_ptr[r15 + AllocationAddress]);
        a.jns(allocated);
        a.xor(eax, eax);
        a.Label(ref allocated);
        a.add(rsp, 40);
        a.ret();

        // allocateOutside(rcx = pages, edx = memory type) -> rax = address below 4 GiB outside [LoadLow, LoadHigh), or 0.
        // The firmware allocates from the top down: if the highest free range overlaps the image, try below it.
        var returnRdi = a.CreateLabel();
        var returnRax = a.CreateLabel();
        a.Label(ref _allocateOutside);
        a.push(rbx);
        a.push(rsi);
        a.push(rdi);
        a.sub(rsp, 32);
        a.mov(rbx, rcx);
        a.mov(esi, edx);
        a.mov(r8, FourGiB - 1);
        a.call(_allocateBelow);
        a.test(rax, rax);
        a.jz(returnRax);
        a.mov(rdi, rax);
        a.cmp(rdi, __qword_ptr[r15 + LoadHigh]);
        a.jae(returnRdi);
        a.mov(rax, rbx);
        a.shl(rax, 12);
        a.add(rax, rdi);
        a.cmp(rax, __qword_ptr[r15 + LoadLow]);
        a.jbe(returnRdi);
        a.mov(rcx, rdi);
        a.mov(rdx, rbx);
        CallBootService(FreePages);
        a.mov(rcx, rbx);
        a.mov(edx, esi);
        a.mov(r8, __qword_ptr[r15 + LoadLow]);
        a.dec(r8);
        a.call(_allocateBelow);
        a.jmp(returnRax);
        a.Label(ref returnRdi);
        a.mov(rax, rdi);
        a.Label(ref returnRax);
        a.add(rsp, 32);
        a.pop(rdi);
        a.pop(rsi);
        a.pop(rbx);
        a.ret();

        // openFile(rdx = UTF-16 path) -> rax = status; the handle in File.
        a.Label(ref _openFile);
        a.sub(rsp, 40);
        a.mov(r8, rdx);
        a.mov(rcx, __qword_ptr[r15 + Root]);
        a.lea(rdx, __[r15 + File]);
        a.mov(r9d, (uint)FileModeRead);
        a.mov(__qword_ptr[rsp + 32], 0);
        a.call(__qword_ptr[rcx + FileOpen]);
        a.add(rsp, 40);
        a.ret();

        // fileSize() -> rax = status; EFI_FILE_INFO of File in FileInfoBuffer.
        a.Label(ref _fileSize);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + InfoSize], FileInfoBytes);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.lea(rdx, __[Data(EfiAbi.FileInfo.ToByteArray())]);
        a.lea(r8, __[r15 + InfoSize]);
        a.lea(r9, __[r15 + FileInfoBuffer]);
        a.call(__qword_ptr[rcx + FileGetInfo]);
        a.add(rsp, 40);
        a.ret();

        // readFile(rdx = buffer, r8 = bytes) -> rax = status; bytes read in ReadSize.
        a.Label(ref _readFile);
        a.sub(rsp, 40);
        a.mov(__qword_ptr[r15 + ReadSize], r8);
        a.mov(r8, rdx);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.lea(rdx, __[r15 + ReadSize]);
        a.call(__qword_ptr[rcx + FileRead]);
        a.add(rsp, 40);
        a.ret();

        a.Label(ref _closeFile);
        a.sub(rsp, 40);
        a.mov(rcx, __qword_ptr[r15 + File]);
        a.call(__qword_ptr[rcx + FileClose]);
        a.add(rsp, 40);
        a.ret();

        ConvertMap();
    }

    // convertMap() -> eax = E820 entries written to the start-info block, or -1 if more than the kernel takes.
    // Each UEFI descriptor becomes its E820 type; an entry that continues the previous one with the same type merges.
    private void ConvertMap()
    {
        var a = _a;
        var descriptor = a.CreateLabel();
        var typed = a.CreateLabel();
        var append = a.CreateLabel();
        var next = a.CreateLabel();
        var tooMany = a.CreateLabel();
        var done = a.CreateLabel();
        a.Label(ref _convertMap);
        a.push(rbx);
        a.push(rsi);
        a.push(rdi);
        a.mov(rsi, __qword_ptr[r15 + MapBuffer]);
        a.mov(rbx, rsi);
        a.add(rbx, __qword_ptr[r15 + MapSize]);
        a.mov(rdi, __qword_ptr[r15 + StartInfoBlock]);
        a.add(rdi, MemoryMap);
        a.xor(ecx, ecx);
        a.lea(r11, __[Data(E820TypeOfUefiType)]);
        a.Label(ref descriptor);
        a.cmp(rsi, rbx);
        a.jae(done);
        a.mov(eax, __dword_ptr[rsi + DescriptorType]);
        a.mov(edx, E820Reserved);
        a.cmp(eax, E820TypeOfUefiType.Length);
        a.jae(typed);
        a.movzx(edx, __byte_ptr[r11 + rax]);
        a.Label(ref typed);
        a.mov(r8, __qword_ptr[rsi + DescriptorPhysicalStart]);
        a.mov(r9, __qword_ptr[rsi + DescriptorPageCount]);
        a.shl(r9, 12);
        a.test(ecx, ecx);
        a.jz(append);
        a.imul(r10, rcx, MemoryMapEntryBytes);
        a.lea(r10, __[rdi + r10 - MemoryMapEntryBytes]);
        a.cmp(__dword_ptr[r10 + 16], edx);
        a.jne(append);
        a.mov(rax, __qword_ptr[r10]);
        a.add(rax, __qword_ptr[r10 + 8]);
        a.cmp(rax, r8);
        a.jne(append);
        a.add(__qword_ptr[r10 + 8], r9);
        a.jmp(next);
        a.Label(ref append);
        a.cmp(ecx, MaxMemoryMapEntries);
        a.jae(tooMany);
        a.imul(r10, rcx, MemoryMapEntryBytes);
        a.add(r10, rdi);
        a.mov(__qword_ptr[r10], r8);
        a.mov(__qword_ptr[r10 + 8], r9);
        a.mov(__dword_ptr[r10 + 16], edx);
        a.mov(__dword_ptr[r10 + 20], 0);
        a.inc(ecx);
        a.Label(ref next);
        a.add(rsi, __qword_ptr[r15 + DescriptorSize]);
        a.jmp(descriptor);
        a.Label(ref tooMany);
        a.mov(ecx, -1);
        a.Label(ref done);
        a.mov(eax, ecx);
        a.pop(rdi);
        a.pop(rsi);
        a.pop(rbx);
        a.ret();
    }

    private void CallBootService(int offset)
    {
        _a.mov(rax, __qword_ptr[r15 + BootServices]);
        _a.call(__qword_ptr[rax + offset]);
    }

    /// <summary>After a firmware call: on an error status (top bit set), fail with this message and that status.</summary>
    private void FailOnError(string message) { _a.test(rax, rax); _a.js(StatusFailure(message)); }

    private Label StatusFailure(string message) => AddFailure(null, message);
    private Label Failure(ulong status, string message) => AddFailure(status, message);

    private Label AddFailure(ulong? status, string message)
    {
        var label = _a.CreateLabel();
        _failures.Add((label, status, Utf16(message)));
        return label;
    }

    private Label Utf16(string text)
    {
        if (_strings.TryGetValue(text, out var label)) return label;
        label = Data(Encoding.Unicode.GetBytes(text + "\0"));
        _strings[text] = label;
        return label;
    }

    private Label Data(byte[] bytes)
    {
        var label = _a.CreateLabel();
        _data.Add((label, bytes));
        return label;
    }
}
