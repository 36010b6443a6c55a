using System.Buffers.Binary;
using System.Runtime.InteropServices;

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

    private const int NoteOffset = ElfConstants.ElfHeaderSize + 2 * ElfConstants.ProgramHeaderSize, NoteSize = 24, CodeOffset = 208;

    /// <summary>The ELF file: ELF header, a PT_LOAD of the whole file at 1 MiB, a PT_NOTE (Xen note 18, PVH entry; p_align 4
    /// and an 8-byte descriptor, which QEMU 7.2 needs: docs/boot-abi.md), the code.</summary>
    public static byte[] Build()
    {
        var file = new byte[CodeOffset + Code.Length];
        var s = file.AsSpan();
        ulong entry = LoadAddress + CodeOffset;
        var header = Elf64Header.Executable(entry, programHeaderCount: 2, sectionHeaderOffset: 0, sectionCount: 0, sectionNameTableIndex: 0);
        MemoryMarshal.Write(s, in header);
        ProgramHeader(s[ElfConstants.ElfHeaderSize..], ElfConstants.PT_LOAD, ElfConstants.PF_R | ElfConstants.PF_X, offset: 0, LoadAddress,
            (ulong)file.Length, align: 0x1000);
        ProgramHeader(s[(ElfConstants.ElfHeaderSize + ElfConstants.ProgramHeaderSize)..], ElfConstants.PT_NOTE, ElfConstants.PF_R,
            offset: NoteOffset, LoadAddress + NoteOffset, NoteSize, align: 4);

        var note = s[NoteOffset..];
        var noteHeader = new Elf64NoteHeader { NameSize = 4, DescriptorSize = 8, Type = ElfConstants.XEN_ELFNOTE_PHYS32_ENTRY };
        MemoryMarshal.Write(note, in noteHeader);
        "Xen\0"u8.CopyTo(note[ElfConstants.NoteHeaderSize..]);
        BinaryPrimitives.WriteUInt64LittleEndian(note[16..], entry);
        Code.CopyTo(s[CodeOffset..]);
        return file;
    }

    private static void ProgramHeader(Span<byte> bytes, uint type, uint flags, ulong offset, ulong address, ulong size, ulong align)
    {
        var header = new Elf64ProgramHeader
        {
            Type = type, Flags = flags, Offset = offset, VirtualAddress = address, PhysicalAddress = address,
            FileSize = size, MemorySize = size, Alignment = align,
        };
        MemoryMarshal.Write(bytes, in header);
    }
}
