using System.Buffers.Binary;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using static Unikernel.Linker.Relocations.X86_64RelocationType;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// Pass 5: patches section bytes in place with final addresses. Notation as in the psABI:
/// S = symbol address, A = addend, P = address of the patched field, G = address of the GOT slot.
/// </summary>
public static class X86_64Relocator
{
    public static void Apply(IReadOnlyList<InputFile> files, GlobalOffsetTable got)
    {
        foreach (var file in files)
        {
            foreach (var section in file.Sections)
            {
                if (section is not { IsLive: true, Data: { } data } || section.Relocations.Length == 0)
                    continue;
                ulong sectionAddress = section.Address;
                foreach (ref readonly var relocation in section.Relocations.AsSpan())
                    ApplyOne(file, section, data, sectionAddress, relocation, got);
            }
        }
    }

    private static void ApplyOne(InputFile file, InputSection section, byte[] data, ulong sectionAddress,
        in Relocation relocation, GlobalOffsetTable got)
    {
        var symbol = file.Symbols[relocation.SymbolIndex];
        ulong s = symbol.Address;
        ulong a = (ulong)relocation.Addend;
        ulong p = sectionAddress + relocation.Offset;
        var field = data.AsSpan((int)relocation.Offset);

        switch (relocation.Type)
        {
            case None:
                break;
            case Abs64:
                BinaryPrimitives.WriteUInt64LittleEndian(field, s + a);
                break;
            case PC64:
                BinaryPrimitives.WriteUInt64LittleEndian(field, s + a - p);
                break;
            case PC32 or PLT32:
                // No PLT in a static image: a call goes straight to the function.
                WriteSigned32(field, (long)(s + a - p), file, section, relocation, symbol);
                break;
            case Abs32:
                ulong unsignedValue = s + a;
                if (unsignedValue > uint.MaxValue)
                    throw OutOfRange(unsignedValue, file, section, relocation, symbol);
                BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)unsignedValue);
                break;
            case Abs32Signed:
                WriteSigned32(field, (long)(s + a), file, section, relocation, symbol);
                break;
            case GotPCRel or GotPCRelX or RexGotPCRelX:
                if (relocation.GotAction == GotAction.RelaxToLea)
                {
                    RelocationScanner.RewriteMovToLea(data, relocation.Offset);
                    WriteSigned32(field, (long)(s + a - p), file, section, relocation, symbol);
                }
                else
                {
                    WriteSigned32(field, (long)(got.SlotAddress(symbol) + a - p), file, section, relocation, symbol);
                }
                break;
            default:
                // The scanner rejected these already; reaching here is a linker bug, still reported cleanly.
                throw new LinkerException($"unsupported relocation {Name(relocation.Type)}", file: file.Path,
                    section: section.Name, offset: relocation.Offset, symbol: symbol.DisplayName);
        }
    }

    private static void WriteSigned32(Span<byte> field, long value, InputFile file, InputSection section,
        in Relocation relocation, Symbol symbol)
    {
        if (value < int.MinValue || value > int.MaxValue)
            throw OutOfRange((ulong)value, file, section, relocation, symbol);
        BinaryPrimitives.WriteInt32LittleEndian(field, (int)value);
    }

    private static LinkerException OutOfRange(ulong value, InputFile file, InputSection section,
        in Relocation relocation, Symbol symbol) =>
        new($"relocation {Name(relocation.Type)} out of range (value 0x{value:x})", file: file.Path,
            section: section.Name, offset: relocation.Offset, symbol: symbol.DisplayName);
}
