using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>
/// Stage 1: the MBR's boot code (bytes 0..439; the disk writer adds the disk signature, the protective partition entry
/// and 0x55AA). The BIOS runs it at 0x7C00 with DL = the boot drive. It checks for the INT 13h extensions (LBA reads),
/// reads the <see cref="BiosBootMap"/> sector, checks its magic, reads stage 2 and jumps to it with DL = the drive and
/// SI = the map (at <see cref="LowMemory.BootMap"/>). A failure prints one line on the screen and on COM1 and halts.
/// </summary>
internal static class BootSector
{
    public const int CodeBytes = 440;

    public static byte[] Build()
    {
        var messages = new MessageTable();
        var layout = Emit(messages);
        byte[] strings = messages.Place(layout.End);
        var final = Emit(messages);
        if (final.Bytes.Length != layout.Bytes.Length)
            throw new InvalidOperationException("stage 1 changed size between passes");

        var code = final.Bytes.Concat(strings).ToArray();
        if (code.Length > CodeBytes)
            throw new InvalidOperationException($"stage 1 is {code.Length} bytes; the MBR has room for {CodeBytes}");
        Array.Resize(ref code, CodeBytes);
        return code;
    }

    private static Assembled Emit(MessageTable m)
    {
        var a = new Assembler(16);
        var fail = a.CreateLabel();
        var read = a.CreateLabel();
        var print = a.CreateLabel();
        var waitSerial = a.CreateLabel();
        var halt = a.CreateLabel();
        string mapLba = DiskBootContract.BiosBootPartitionLba.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string stage2Lba = (DiskBootContract.BiosBootPartitionLba + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        // CS:IP may be 07C0:0000 or 0000:7C00: nothing here depends on CS (near branches are relative, data is
        // addressed through DS = 0), and the far jump to stage 2 sets it.
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, StackTop);
        a.sti();
        a.cld();
        a.mov(__byte_ptr[Variable.Drive], dl);

        a.mov(ah, 0x41);
        a.mov(bx, 0x55AA);
        a.@int(0x13);
        a.mov(si, m["\r\nukboot: no INT 13h extensions\r\n"]);
        a.jc(fail);
        a.cmp(bx, 0xAA55);
        a.jne(fail);
        a.test(cl, 1);      // the fixed disk access subset: AH=42h
        a.jz(fail);

        a.mov(__dword_ptr[DiskAddressPacket], 0x0001_0010u);    // 16-byte packet, one sector
        a.mov(__dword_ptr[DiskAddressPacket + 4], (uint)BootMap); // offset, segment 0
        a.mov(__dword_ptr[DiskAddressPacket + 8], (uint)DiskBootContract.BiosBootPartitionLba);
        a.mov(__dword_ptr[DiskAddressPacket + 12], 0u);
        a.mov(si, m[$"\r\nukboot: read error at LBA {mapLba}\r\n"]);
        a.call(read);
        a.jc(fail);

        a.mov(si, m[$"\r\nukboot: no boot map at LBA {mapLba}\r\n"]);
        a.cmp(__dword_ptr[BootMap], unchecked((uint)BiosBootMap.Magic));
        a.jne(fail);
        a.cmp(__dword_ptr[BootMap + 4], (uint)(BiosBootMap.Magic >> 32));
        a.jne(fail);
        a.mov(eax, __dword_ptr[BootMap + BootMapLayout.Stage2Sectors]);
        a.dec(eax);
        a.cmp(eax, MaxStage2Sectors - 1);
        a.ja(fail);
        a.inc(ax);

        a.mov(__word_ptr[DiskAddressPacket + 2], ax);
        a.mov(__word_ptr[DiskAddressPacket + 4], Stage2);
        a.mov(__dword_ptr[DiskAddressPacket + 8], (uint)(DiskBootContract.BiosBootPartitionLba + 1));
        a.mov(si, m[$"\r\nukboot: read error at LBA {stage2Lba}\r\n"]);
        a.call(read);
        a.jc(fail);

        a.mov(dl, __byte_ptr[Variable.Drive]);
        a.mov(si, BootMap);
        a.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, 0, Stage2));

        // In: the packet at DiskAddressPacket. Out: CF set on failure. Keeps SI (the message).
        a.Label(ref read);
        a.push(si);
        a.mov(si, DiskAddressPacket);
        a.mov(dl, __byte_ptr[Variable.Drive]);
        a.mov(ah, 0x42);
        a.@int(0x13);
        a.pop(si);
        a.ret();

        // SI = the message. The line goes to COM1, set up as 115200 8N1 here (QEMU -nographic shows only the serial port,
        // and nothing before us needs to have programmed it), and to the screen when there is one (VideoBios). Interrupts
        // off first: SeaBIOS's serial console flushes the rest of its own line from the timer interrupt, which would
        // land in the middle of ours.
        a.Label(ref fail);
        a.cli();
        a.mov(dx, SerialPort.LineControl);
        a.mov(al, 0x80);
        a.@out(dx, al);
        a.mov(dx, SerialPort.Data);
        a.mov(al, 1);
        a.@out(dx, al);
        a.inc(dx);
        a.mov(al, 0);
        a.@out(dx, al);
        a.mov(dx, SerialPort.LineControl);
        a.mov(al, 3);
        a.@out(dx, al);
        a.Label(ref print);
        a.lodsb();
        a.test(al, al);
        a.jz(halt);
        a.mov(ah, al);
        a.mov(dx, SerialPort.LineStatus);
        a.Label(ref waitSerial);
        a.@in(al, dx);
        a.test(al, SerialPort.TransmitterEmpty);
        a.jz(waitSerial);
        a.mov(al, ah);
        a.mov(dx, SerialPort.Data);
        a.@out(dx, al);
        a.cmp(__word_ptr[VideoBios.Int10Segment], VideoBios.Segment);
        a.jne(print);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.jmp(print);

        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);
        return Assembled.At(a, LowMemory.BootSector);
    }
}
