using Unikernel.Linker.Model;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// In a static executable every thread-local variable lives in the one static TLS block, at an offset
/// from the thread pointer known at link time. So the dynamic access models the compiler emits for
/// position-independent code (general dynamic, local dynamic, initial exec) are rewritten in place into
/// local-exec code, using the exact instruction sequences the psABI fixes for that purpose; anything else
/// is rejected rather than guessed at.
/// </summary>
public static class TlsRelaxation
{
    // General dynamic, 16 bytes:  66 48 8d 3d <x@tlsgd>   lea x@tlsgd(%rip), %rdi   (data16 prefix)
    //                             66 66 48 e8 <call>      data16 data16 rex64 call __tls_get_addr@PLT
    //                          or 66 48 ff 15 <call>      data16 rex64 call *__tls_get_addr@GOTPCREL(%rip)
    private static readonly byte[] GdLea = [0x66, 0x48, 0x8d, 0x3d];
    private static readonly byte[] GdDirectCall = [0x66, 0x66, 0x48, 0xe8];
    private static readonly byte[] GdIndirectCall = [0x66, 0x48, 0xff, 0x15];

    // ...becomes  mov %fs:0, %rax ; lea x@tpoff(%rax), %rax
    private static readonly byte[] GdToLe = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x8d, 0x80];

    // Local dynamic: 48 8d 3d <x@tlsld>  lea x@tlsld(%rip), %rdi
    //                e8 <call> (12 bytes in all) | ff 15 <call> or 67 e8 <call> (13 bytes in all)
    private static readonly byte[] LdLea = [0x48, 0x8d, 0x3d];

    // ...becomes  data16 data16 data16 mov %fs:0, %rax  (12 bytes; a nop pads the 13-byte form)
    private static readonly byte[] LdToLe = [0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0];

    private const byte MovLoad = 0x8b;
    private const byte AddLoad = 0x03;
    private const byte MovImmediate = 0xc7;  // c7 /0 id: mov $imm32, r/m64
    private const byte AddImmediate = 0x81;  // 81 /0 id: add $imm32, r/m64 (same flags as the add it replaces)
    private const byte Nop = 0x90;

    /// <summary>
    /// Decides the action for TLSGD/TLSLD/GOTTPOFF at <paramref name="index"/>; for the dynamic models the
    /// following relocation (the __tls_get_addr call) is marked skipped. Returns null when the code does not
    /// match a known sequence.
    /// </summary>
    public static string? Decide(ReadOnlySpan<byte> data, InputSection section, ReadOnlySpan<Relocation> relocations, int index)
    {
        ref readonly var relocation = ref relocations[index];
        int r = (int)relocation.Offset;
        switch (relocation.Type)
        {
            case X86_64RelocationType.TlsGd:
            {
                if (r < 4 || r + 12 > data.Length || !Matches(data, r - 4, GdLea))
                    return "general-dynamic TLS code is not the psABI sequence (lea x@tlsgd(%rip), %rdi with prefixes)";
                if (!Matches(data, r + 4, GdDirectCall) && !Matches(data, r + 4, GdIndirectCall))
                    return "general-dynamic TLS code does not call __tls_get_addr right after the lea";
                if (!SkipCall(section, relocations, index, r + 8))
                    return "general-dynamic TLS code has no relocation for its __tls_get_addr call";
                section.SetAction(index, RelocationAction.TlsGeneralDynamicToLocalExec);
                return null;
            }
            case X86_64RelocationType.TlsLd:
            {
                if (r < 3 || r + 9 > data.Length || !Matches(data, r - 3, LdLea))
                    return "local-dynamic TLS code is not the psABI sequence (lea x@tlsld(%rip), %rdi)";
                int callField = data[r + 4] == 0xe8 ? r + 5
                    : (data[r + 4], data[r + 5]) is (0xff, 0x15) or (0x67, 0xe8) ? r + 6
                    : -1;
                if (callField < 0)
                    return "local-dynamic TLS code does not call __tls_get_addr right after the lea";
                // The rewrite covers the whole call, which ends with its 4-byte field (and pads the long form's last byte).
                if (callField + 4 > data.Length)
                    return "local-dynamic TLS code ends before its __tls_get_addr call does";
                if (!SkipCall(section, relocations, index, callField))
                    return "local-dynamic TLS code has no relocation for its __tls_get_addr call";
                section.SetAction(index, RelocationAction.TlsLocalDynamicToLocalExec);
                return null;
            }
            case X86_64RelocationType.GotTpOff:
            {
                if (r >= 3 && (data[r - 3] & 0xf8) == 0x48 && data[r - 2] is MovLoad or AddLoad && (data[r - 1] & 0xC7) == 0x05)
                    section.SetAction(index, RelocationAction.TlsInitialExecToLocalExec);
                else
                    section.SetAction(index, RelocationAction.UseTpOffGotSlot); // e.g. with a SIB or a non-64-bit form
                return null;
            }
            default:
                return null;
        }
    }

    private static bool SkipCall(InputSection section, ReadOnlySpan<Relocation> relocations, int index, int callField)
    {
        if (index + 1 >= relocations.Length || relocations[index + 1].Offset != (ulong)callField)
            return false;
        section.SetAction(index + 1, RelocationAction.Skip);
        return true;
    }

    /// <summary>Rewrites the code at <paramref name="offset"/> (the TLS relocation's r_offset) given the
    /// variable's thread-pointer offset.</summary>
    public static void Rewrite(Span<byte> data, ulong offset, RelocationAction action, int tpOffset)
    {
        int r = (int)offset;
        switch (action)
        {
            case RelocationAction.TlsGeneralDynamicToLocalExec:
                GdToLe.CopyTo(data[(r - 4)..]);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data[(r + 8)..], tpOffset);
                break;
            case RelocationAction.TlsLocalDynamicToLocalExec:
                bool longForm = data[r + 4] != 0xe8;
                LdToLe.CopyTo(data[(r - 3)..]);
                if (longForm)
                    data[r + 9] = Nop;
                break;
            case RelocationAction.TlsInitialExecToLocalExec:
                byte rex = data[r - 3];
                // The register moves from ModRM.reg to ModRM.rm, so its REX extension bit moves from R to B.
                data[r - 3] = (byte)(0x48 | ((rex >> 2) & 1));
                data[r - 2] = data[r - 2] == MovLoad ? MovImmediate : AddImmediate;
                data[r - 1] = (byte)(0xc0 | ((data[r - 1] >> 3) & 7));
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data[r..], tpOffset);
                break;
            default:
                throw new InvalidOperationException($"not a TLS relaxation: {action}");
        }
    }

    private static bool Matches(ReadOnlySpan<byte> data, int at, byte[] pattern) =>
        at >= 0 && at + pattern.Length <= data.Length && data.Slice(at, pattern.Length).SequenceEqual(pattern);
}
