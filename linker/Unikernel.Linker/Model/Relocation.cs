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

/// <summary>One RELA entry. The symbol stays an index into the owning file's <see cref="InputFile.Symbols"/>:
/// after resolution that slot holds the winning definition, so no per-relocation lookup by name is needed.</summary>
public struct Relocation
{
    public ulong Offset;
    public long Addend;
    public uint Type;
    public uint SymbolIndex;
    public RelocationAction Action;

    public Relocation(ulong offset, uint type, uint symbolIndex, long addend)
    {
        Offset = offset;
        Type = type;
        SymbolIndex = symbolIndex;
        Addend = addend;
        Action = RelocationAction.None;
    }
}
