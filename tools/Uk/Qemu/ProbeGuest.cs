using System.Buffers.Binary;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// The smallest guest that tells whether an accelerator can run our images: a 249-byte PVH ELF that enables SSE
/// (CR0.EM clear, CR0.MP and CR4.OSFXSR|OSXMMEXCPT set, as the boot stub does), moves a value through an XMM
/// register and writes it to isa-debug-exit (QEMU then exits with 2 * 42 + 1). A KVM that cannot run SSE code (the
/// instruction-emulating /dev/kvm of nested "pagetable-based" virtualization, docs/field-notes) stops it with
/// "KVM internal error" instead; under TCG it exits in a few milliseconds.
/// </summary>
public static class ProbeGuest
{
    /// <summary>The status the guest reports through isa-debug-exit when it ran to the end.</summary>
    public const int ExpectedStatus = 42;
    public const ulong LoadAddress = 0x100000;

    // 32-bit protected mode, paging off (the PVH entry state).
    private static readonly byte[] Code =
    [
        0x0F, 0x20, 0xC0,                   // mov eax, cr0
        0x83, 0xE0, 0xFB,                   // and eax, ~4          ; CR0.EM = 0
        0x83, 0xC8, 0x02,                   // or  eax, 2           ; CR0.MP = 1
        0x0F, 0x22, 0xC0,                   // mov cr0, eax
        0x0F, 0x20, 0xE0,                   // mov eax, cr4
        0x0D, 0x00, 0x06, 0x00, 0x00,       // or  eax, 0x600       ; CR4.OSFXSR | OSXMMEXCPT
        0x0F, 0x22, 0xE0,                   // mov cr4, eax
        0xB9, ExpectedStatus, 0, 0, 0,      // mov ecx, 42
        0x66, 0x0F, 0x6E, 0xC1,             // movd xmm0, ecx
        0x66, 0x0F, 0x7E, 0xC0,             // movd eax, xmm0
        0xE6, QemuCommand.DebugExitPort,    // out 0xf4, al
        0xF4,                               // hlt
        0xEB, 0xFD,                         // jmp hlt
    ];

    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56, NoteOffset = ElfHeaderSize + 2 * ProgramHeaderSize, NoteSize = 24, CodeOffset = 208;

    /// <summary>The ELF file: ELF header, a PT_LOAD of the whole file at 1 MiB, a PT_NOTE (Xen note 18, PVH entry; p_align 4
    /// and an 8-byte descriptor, which QEMU 7.2 needs: docs/boot-abi.md), the code.</summary>
    public static byte[] Build()
    {
        var file = new byte[CodeOffset + Code.Length];
        var s = file.AsSpan();
        ulong entry = LoadAddress + CodeOffset;
        "\u007fELF"u8.CopyTo(s);
        s[4] = 2; s[5] = 1; s[6] = 1;                                    // ELFCLASS64, little endian, version 1
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 2);            // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], 0x3E);         // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], entry);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], ElfHeaderSize);  // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], 2);

        ProgramHeader(s[ElfHeaderSize..], type: 1, flags: 5, offset: 0, LoadAddress, (ulong)file.Length, align: 0x1000);
        ProgramHeader(s[(ElfHeaderSize + ProgramHeaderSize)..], type: 4, flags: 4, offset: NoteOffset, LoadAddress + NoteOffset, NoteSize, align: 4);

        var note = s[NoteOffset..];
        BinaryPrimitives.WriteUInt32LittleEndian(note, 4);               // name size ("Xen\0")
        BinaryPrimitives.WriteUInt32LittleEndian(note[4..], 8);          // descriptor size
        BinaryPrimitives.WriteUInt32LittleEndian(note[8..], 18);         // XEN_ELFNOTE_PHYS32_ENTRY
        "Xen\0"u8.CopyTo(note[12..]);
        BinaryPrimitives.WriteUInt64LittleEndian(note[16..], entry);
        Code.CopyTo(s[CodeOffset..]);
        return file;
    }

    private static void ProgramHeader(Span<byte> p, uint type, uint flags, ulong offset, ulong address, ulong size, ulong align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p, type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], align);
    }
}
