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
internal sealed partial class LoaderProgram
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
    private Label _dataStart, _fail, _failDetailed, _failLoadRange, _printHex, _print, _allocateBelow, _allocateOutside, _openFile, _fileSize, _readFile, _closeFile, _convertMap;

    /// <summary>The code assembled at <paramref name="address"/>: instructions from offset 0 (the entry point) up to
    /// <see cref="AssembledLoader.InstructionBytes"/>, then the read-only data (strings, GUIDs, GDT, the trampoline).</summary>
    public static AssembledLoader Assemble(ulong address)
    {
        var program = new LoaderProgram();
        program.Generate();
        var writer = new CodeWriterBuffer();
        var result = program._a.Assemble(writer, address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return new AssembledLoader(writer.ToArray(), 0, (int)(result.GetLabelRIP(program._dataStart) - address));
    }

    private void Generate()
    {
        var a = _a;
        _fail = a.CreateLabel(); _failDetailed = a.CreateLabel(); _failLoadRange = a.CreateLabel(); _printHex = a.CreateLabel(); _print = a.CreateLabel(); _allocateBelow = a.CreateLabel(); _allocateOutside = a.CreateLabel();
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
            if (_dataStart.IsEmpty) _dataStart = l;   // Label() records the position in this copy
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

    // fail: rax = status, rsi = message. failDetailed: Status stored, the prefix and the start of the line printed, rsi = the rest.
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
        a.Label(ref _failDetailed);
        a.mov(rdx, rsi);
        a.call(_print);
        a.lea(rdx, __[Utf16(" (EFI status 0x")]);
        a.call(_print);
        a.mov(rdx, __qword_ptr[r15 + Status]);
        a.call(_printHex);
        a.lea(rdx, __[Utf16(")\r\n")]);
        a.call(_print);
        a.Label(ref done);
        a.mov(rax, __qword_ptr[r15 + Status]);
        a.add(rsp, FrameBytes);
        for (int i = SavedRegisters.Length - 1; i >= 0; i--) a.pop(SavedRegisters[i]);
        a.ret();

        // The image's load range is not RAM: say which range, the firmware's map being the other half of the story.
        a.Label(ref _failLoadRange);
        a.mov(rax, LoadError);
        a.mov(__qword_ptr[r15 + Status], rax);
        a.cmp(__qword_ptr[r15 + Quiet], 0);
        a.jne(done);
        a.lea(rdx, __[Utf16(MessagePrefix + "the image's load range 0x")]);
        a.call(_print);
        a.mov(rdx, __qword_ptr[r15 + LoadLow]);
        a.call(_printHex);
        a.lea(rdx, __[Utf16("-0x")]);
        a.call(_print);
        a.mov(rdx, __qword_ptr[r15 + LoadHigh]);
        a.call(_printHex);
        a.lea(rsi, __[Utf16(" is not free RAM in the firmware's memory map")]);
        a.jmp(_failDetailed);
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
