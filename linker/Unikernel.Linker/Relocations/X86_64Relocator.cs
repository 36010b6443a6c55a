using System.Buffers.Binary;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Synthetic;
using static Unikernel.Linker.Relocations.X86_64RelocationType;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// The <c>relocate</c> pass: patches the written image's bytes (each input section where the writer put it) with final
/// addresses. Notation as in the psABI:
/// S = symbol address, A = addend, P = address of the patched field, G = address of the GOT slot,
/// GOT = address of the GOT, Z = symbol size, TP(x) = thread-pointer offset of address x.
/// </summary>
public static class X86_64Relocator
{
    /// <summary>Sections are patched in parallel (each writes only its own bytes and reads only final
    /// addresses); a failure is reported as a sequential pass would, the first in file and section order.</summary>
    public static void Apply(IReadOnlyList<InputFile> files, byte[] image, GlobalOffsetTable got, TlsLayout? tls = null)
    {
        var work = new List<(InputFile File, InputSection Section)>();
        long relocationCount = 0;
        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is { IsLive: true, HasContents: true, Output: not null } && section.Relocations.Length != 0)
                {
                    work.Add((file, section));
                    relocationCount += section.Relocations.Length;
                }
        var failures = new LinkerException?[work.Count];
        SmallWork.For(work.Count, relocationCount, RelocationScanner.ParallelFromRelocations, i =>
        {
            var (file, section) = work[i];
            try
            {
                ulong sectionAddress = section.Address;
                var data = image.AsSpan(checked((int)(section.Output!.FileOffset + section.OffsetInOutput)), (int)section.Size);
                var relocations = section.Relocations;
                for (int r = 0; r < relocations.Length; r++)
                    ApplyOne(file, section, data, sectionAddress, relocations[r], section.ActionOf(r), got, tls);
            }
            catch (LinkerException error)
            {
                failures[i] = error;
            }
        });
        foreach (var failure in failures)
            if (failure is not null)
                throw failure;
    }

    private static void ApplyOne(InputFile file, InputSection section, Span<byte> data, ulong sectionAddress,
        in Relocation relocation, RelocationAction action, GlobalOffsetTable got, TlsLayout? tls)
    {
        // R_X86_64_NONE patches nothing, wherever its r_offset points; a skipped call's bytes were rewritten already.
        if (action == RelocationAction.Skip || relocation.Type == None)
            return;
        var symbol = file.Symbols[relocation.SymbolIndex];
        // The scanner checked every field against its section; checked again here, where a miss would write outside it.
        if (relocation.Offset > (ulong)data.Length || (ulong)data.Length - relocation.Offset < (ulong)Width(relocation.Type))
            throw new LinkerException($"relocation {Name(relocation.Type)} extends past the end of the section", file: file.Path,
                section: section.Name, offset: relocation.Offset, symbol: symbol.DisplayName);
        ulong s = symbol.Address;
        ulong a = (ulong)relocation.Addend;
        ulong p = sectionAddress + relocation.Offset;
        var field = data[(int)relocation.Offset..];
        var copy = relocation; // local functions cannot capture an 'in' parameter

        long TpOffset(ulong address) => tls?.TpOffset(address)
            ?? throw new LinkerException("thread-local reference but the program has no TLS sections", file: file.Path,
                section: section.Name, offset: copy.Offset, symbol: symbol.DisplayName);

        switch (relocation.Type)
        {
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
                if (action == RelocationAction.UseGotSlot)
                {
                    WriteSigned32(field, (long)(got.SlotAddress(symbol) + a - p), file, section, relocation, symbol);
                }
                else
                {
                    int shift = GotRelaxation.Rewrite(data, relocation.Offset, action);
                    ulong newP = (ulong)((long)p + shift);
                    WriteSigned32(data[((int)relocation.Offset + shift)..], (long)(s + a - newP), file, section,
                        relocation, symbol);
                }
                break;
            case GotOff64:
                BinaryPrimitives.WriteUInt64LittleEndian(field, s + a - got.Section.Address);
                break;
            case GotPC32:
                WriteSigned32(field, (long)(got.Section.Address + a - p), file, section, relocation, symbol);
                break;
            case GotPC64:
                BinaryPrimitives.WriteUInt64LittleEndian(field, got.Section.Address + a - p);
                break;
            case Size32:
                WriteSigned32(field, (long)(symbol.Size + a), file, section, relocation, symbol);
                break;
            case Size64:
                BinaryPrimitives.WriteUInt64LittleEndian(field, symbol.Size + a);
                break;
            case TpOff32:
            case DtpOff32: // local-dynamic code was relaxed to local-exec: %rax holds the TP, not the block start
                WriteSigned32(field, TpOffset(s + a), file, section, relocation, symbol);
                break;
            case TpOff64 or DtpOff64:
                BinaryPrimitives.WriteInt64LittleEndian(field, TpOffset(s + a));
                break;
            case GotTpOff:
                if (action == RelocationAction.UseTpOffGotSlot)
                    WriteSigned32(field, (long)(got.TpOffSlotAddress(symbol) + a - p), file, section, relocation, symbol);
                else
                    TlsRelaxation.Rewrite(data, relocation.Offset, action, Checked32(TpOffset(s + a + 4)));
                break;
            case TlsGd:
                // The addend (-4) accounted for the lea's rip-relative displacement; the new field is absolute.
                TlsRelaxation.Rewrite(data, relocation.Offset, action, Checked32(TpOffset(s + a + 4)));
                break;
            case TlsLd:
                TlsRelaxation.Rewrite(data, relocation.Offset, action, 0);
                break;
            default:
                // The scanner rejected these already; reaching here is a linker bug, still reported cleanly.
                throw new LinkerException($"unsupported relocation {Name(relocation.Type)}", file: file.Path,
                    section: section.Name, offset: relocation.Offset, symbol: symbol.DisplayName);
        }

        int Checked32(long value) => value is < int.MinValue or > int.MaxValue
            ? throw OutOfRange((ulong)value, file, section, copy, symbol)
            : (int)value;
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
