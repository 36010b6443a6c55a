using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>
/// Stage 2, loaded by stage 1 at <see cref="LowMemory.Stage2"/> and entered in real mode with DL = the boot drive and the
/// <see cref="BiosBootMap"/> at <see cref="LowMemory.BootMap"/>. In order: the E820 memory map, A20, the configuration
/// (the command line), the ELF image's header and program headers (checked, and the PVH entry found in the Xen note,
/// before anything is loaded), the PT_LOAD segments (read through a bounce buffer, moved above 1 MiB in protected
/// mode, their tails zeroed), the RSDP, the hvm_start_info, and the jump into the kernel (<see cref="ProtectedModeGate"/>).
/// Any failure prints one line ("ukboot: ...") on the screen and COM1 and halts.
/// The 16-bit code is generated twice: the first pass fixes its size and the addresses of its strings, of the 32-bit
/// code and of the GDT, which the second pass uses (every instruction using them has a fixed-size encoding; a check
/// makes sure both passes agree).
/// </summary>
internal sealed partial class Stage2Program
{
    /// <summary>Addresses the 16-bit code needs but only knows after the first pass.</summary>
    private sealed record Addresses(ulong Return16, ulong RealModeAgain, ulong Move32, ulong EnterKernel32, ushort Gdtr);

    private static readonly Addresses Unknown = new(0, 0, 0, 0, 0);

    private readonly Assembler a = new(16);
    private readonly MessageTable m;
    private readonly Addresses _at;

    private Label _fail, _failNumber, _puts, _putHex, _newLine, _halt;
    private Label _readSectors, _loadRange, _highMove, _return16, _realModeAgain;

    private Stage2Program(MessageTable messages, Addresses addresses)
    {
        m = messages;
        _at = addresses;
        _fail = a.CreateLabel();
        _failNumber = a.CreateLabel();
        _puts = a.CreateLabel();
        _putHex = a.CreateLabel();
        _newLine = a.CreateLabel();
        _halt = a.CreateLabel();
        _readSectors = a.CreateLabel();
        _loadRange = a.CreateLabel();
        _highMove = a.CreateLabel();
        _return16 = a.CreateLabel();
        _realModeAgain = a.CreateLabel();
        _inRam = a.CreateLabel();
        _findPvhNote = a.CreateLabel();
    }

    public static byte[] Build()
    {
        var messages = new MessageTable();
        var first = new Stage2Program(messages, Unknown).Emit();
        byte[] strings = messages.Place(first.Code.End);

        ulong return16 = first.Code.AddressOf(first.Program._return16);
        ulong realModeAgain = first.Code.AddressOf(first.Program._realModeAgain);
        ulong gateBase = Align(first.Code.End + (ulong)strings.Length, 16);
        var (gate, entries) = ProtectedModeGate.Emit(gateBase, return16, Variable.PvhEntry, StartInfo);
        ulong gdt = Align(gate.End, 8);
        ulong gdtr = gdt + (ulong)ProtectedModeGate.Gdt.Length * 8;

        var addresses = new Addresses(return16, realModeAgain, entries.Move, entries.EnterKernel, checked((ushort)gdtr));
        var final = new Stage2Program(messages, addresses).Emit();
        if (final.Code.Bytes.Length != first.Code.Bytes.Length
            || final.Code.AddressOf(final.Program._return16) != return16
            || final.Code.AddressOf(final.Program._realModeAgain) != realModeAgain)
            throw new InvalidOperationException("stage 2's 16-bit code changed size or shape between passes");

        var image = new byte[gdtr + 6 - Stage2];
        final.Code.Bytes.CopyTo(image, 0);
        strings.CopyTo(image, (int)(first.Code.End - Stage2));
        gate.Bytes.CopyTo(image, (int)(gateBase - Stage2));
        for (int i = 0; i < ProtectedModeGate.Gdt.Length; i++)
            BitConverter.TryWriteBytes(image.AsSpan((int)(gdt - Stage2) + i * 8), ProtectedModeGate.Gdt[i]);
        BitConverter.TryWriteBytes(image.AsSpan((int)(gdtr - Stage2)), (ushort)(ProtectedModeGate.Gdt.Length * 8 - 1));
        BitConverter.TryWriteBytes(image.AsSpan((int)(gdtr - Stage2) + 2), (uint)gdt);

        int sectors = (image.Length + DiskBootContract.SectorBytes - 1) / DiskBootContract.SectorBytes;
        if (sectors > MaxStage2Sectors)
            throw new InvalidOperationException($"stage 2 needs {sectors} sectors; stage 1 loads at most {MaxStage2Sectors}");
        Array.Resize(ref image, sectors * DiskBootContract.SectorBytes);
        return image;
    }

    private static ulong Align(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    private (Assembled Code, Stage2Program Program) Emit()
    {
        var start = a.CreateLabel();
        a.Label(ref start);
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, StackTop);
        a.sti();
        a.cld();
        a.mov(__byte_ptr[Variable.Drive], dl);
        InitializeSerialPort();

        ReadMemoryMap();
        EnableA20();
        CheckBootMap();
        ReadConfiguration();
        ReadElfHeader();
        CheckProgramHeaders();
        LoadSegments();
        FindRsdp();
        WriteStartInfo();
        EnterKernel();

        EmitConsole();
        EmitDiskReads();
        EmitHighMove();
        EmitImageSubroutines();
        return (Assembled.At(a, Stage2), this);
    }

    /// <summary>Binds <paramref name="label"/> to the next instruction.</summary>
    private void Here(ref Label label) => a.Label(ref label);

    /// <summary>Fails with <paramref name="message"/> when the condition just tested holds (the branch: a.jne, a.jc...).</summary>
    private void FailIf(Action<Label> branch, string message)
    {
        a.mov(si, m[message]);  // mov leaves the flags alone
        branch(_fail);
    }

    /// <summary>As <see cref="FailIf"/>, printing EAX after the message as 8 hexadecimal digits.</summary>
    private void FailWithNumberIf(Action<Label> branch, string message)
    {
        a.mov(si, m[message]);
        branch(_failNumber);
    }

    private void InitializeSerialPort()
    {
        // 115200 baud, 8N1, no interrupts: the firmware may have left the UART unprogrammed (the kernel sets it up again).
        a.mov(dx, SerialPort.LineControl);
        a.mov(al, 0x80);
        a.@out(dx, al);
        a.mov(dx, SerialPort.Data);
        a.mov(al, 1);
        a.@out(dx, al);
        a.mov(dx, SerialPort.InterruptEnable);
        a.mov(al, 0);
        a.@out(dx, al);
        a.mov(dx, SerialPort.LineControl);
        a.mov(al, 3);
        a.@out(dx, al);
        a.mov(dx, SerialPort.InterruptEnable);
        a.mov(al, 0);
        a.@out(dx, al);
    }

    /// <summary>The console routines: each keeps every register.</summary>
    private void EmitConsole()
    {
        var putc = a.CreateLabel();
        var waitSerial = a.CreateLabel();
        var putsLoop = a.CreateLabel();
        var putsDone = a.CreateLabel();
        var digit = a.CreateLabel();
        var decimalDigit = a.CreateLabel();

        // SI = the message: print it on a line of its own, halt. (The line starts with a newline: SeaBIOS's serial console
        // may still hold the end of its "Booting from Hard Disk..." line. Interrupts go off first: that console flushes
        // from the timer interrupt, and in CI under load its last "." and newline landed in the middle of our message.)
        Here(ref _fail);
        a.cli();
        a.call(_newLine);
        a.call(_puts);
        a.jmp(_halt);

        // SI = the message, EAX = a number: print both on a line of their own, halt.
        Here(ref _failNumber);
        a.cli();
        a.call(_newLine);
        a.call(_puts);
        a.mov(si, m["0x"]);
        a.call(_puts);
        a.mov(cl, 8);
        a.call(_putHex);

        Here(ref _halt);
        a.call(_newLine);
        var forever = a.CreateLabel();
        Here(ref forever);
        a.cli();
        a.hlt();
        a.jmp(forever);

        Here(ref _newLine);
        a.push(si);
        a.mov(si, m["\r\n"]);
        a.call(_puts);
        a.pop(si);
        a.ret();

        // SI = a NUL-terminated string.
        Here(ref _puts);
        a.pushad();
        Here(ref putsLoop);
        a.lodsb();
        a.test(al, al);
        a.jz(putsDone);
        a.call(putc);
        a.jmp(putsLoop);
        Here(ref putsDone);
        a.popad();
        a.ret();

        // EAX = the number, CL = how many of its low hexadecimal digits to print.
        Here(ref _putHex);
        a.pushad();
        a.mov(edx, eax);
        a.movzx(bx, cl);
        a.mov(cl, 8);
        a.sub(cl, bl);
        a.shl(cl, 2);
        a.rol(edx, cl);
        Here(ref digit);
        a.rol(edx, 4);
        a.mov(al, dl);
        a.and(al, 0x0F);
        a.add(al, (byte)'0');
        a.cmp(al, (byte)'9');
        a.jbe(decimalDigit);
        a.add(al, (byte)('a' - '9' - 1));
        Here(ref decimalDigit);
        a.call(putc);
        a.dec(bx);
        a.jnz(digit);
        a.popad();
        a.ret();

        // AL = the character: COM1 (waiting until it takes a byte; absent, the port reads 0xFF, which says it does) and
        // the screen when there is one (VideoBios).
        Here(ref putc);
        a.pushad();
        a.mov(ah, al);
        a.mov(dx, SerialPort.LineStatus);
        Here(ref waitSerial);
        a.@in(al, dx);
        a.test(al, SerialPort.TransmitterEmpty);
        a.jz(waitSerial);
        a.mov(al, ah);
        a.mov(dx, SerialPort.Data);
        a.@out(dx, al);
        var noScreen = a.CreateLabel();
        a.cmp(__word_ptr[VideoBios.Int10Segment], VideoBios.Segment);
        a.jne(noScreen);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        Here(ref noScreen);
        a.popad();
        a.ret();
    }
}
