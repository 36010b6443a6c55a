namespace Unikernel.Linker.Model;

/// <summary>What the relocator does with a relocation beyond "write the value"; decided by the scanner
/// before layout, because GOT slots take space and code rewrites consume neighbouring relocations.</summary>
public enum RelocationAction : byte
{
    None,
    /// <summary><c>mov reg, [rip+sym@GOT]</c> rewritten to <c>lea reg, [rip+sym]</c>: no GOT slot needed.</summary>
    RelaxToLea,
    /// <summary><c>call *sym@GOTPCREL(%rip)</c> rewritten to <c>addr32 call sym</c>.</summary>
    RelaxCallToDirect,
    /// <summary><c>jmp *sym@GOTPCREL(%rip)</c> rewritten to <c>jmp sym; nop</c>.</summary>
    RelaxJumpToDirect,
    UseGotSlot,
    /// <summary>Initial-exec TLS: a GOT slot holding the thread-pointer offset (instruction not relaxable).</summary>
    UseTpOffGotSlot,
    /// <summary>Initial-exec <c>mov/add sym@gottpoff(%rip), reg</c> rewritten to use an immediate TP offset.</summary>
    TlsInitialExecToLocalExec,
    /// <summary>General-dynamic <c>lea; call __tls_get_addr</c> rewritten to <c>mov %fs:0, %rax; lea off(%rax), %rax</c>.</summary>
    TlsGeneralDynamicToLocalExec,
    /// <summary>Local-dynamic <c>lea; call __tls_get_addr</c> rewritten to <c>mov %fs:0, %rax</c>.</summary>
    TlsLocalDynamicToLocalExec,
    /// <summary>The <c>__tls_get_addr</c> call of a relaxed TLS sequence: the code it patched is gone.</summary>
    Skip,
}

/// <summary>
/// One RELA entry, laid out as Elf64_Rela (r_offset, r_info, r_addend) so that a table is used where it lies in the
/// mapped input: the ~300k relocations an ASP.NET Core app's link loads are never copied (as 32-byte structs they
/// were 9.6 MB of fresh memory). The symbol stays an index into the owning file's
/// <see cref="InputFile.Symbols"/>: after resolution that slot holds the winning definition, so no per-relocation
/// lookup by name is needed. What the scanner decides for it is in <see cref="InputSection.ActionOf"/>.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public struct Relocation
{
    public const int Size = 24;

    public ulong Offset;
    private readonly ulong _info;
    public long Addend;

    public Relocation(ulong offset, uint type, uint symbolIndex, long addend)
    {
        Offset = offset;
        _info = (ulong)symbolIndex << 32 | type;
        Addend = addend;
    }

    public readonly uint Type => (uint)_info;
    public readonly uint SymbolIndex => (uint)(_info >> 32);
}
