using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Synthetic;
using static Unikernel.Linker.Relocations.X86_64RelocationType;

namespace Unikernel.Linker.Relocations;

/// <summary>
/// The <c>relocation scan</c> pass, before addresses: validates every relocation that will be applied (supported type,
/// in bounds, target defined and live) and decides how GOT-relative and TLS ones are satisfied, since GOT slots change
/// the layout. An undefined symbol is reported at its first reference in file and section order.
/// </summary>
public static class RelocationScanner
{
    /// <summary>Sections are checked and their relaxations decided in parallel (a decision reads only its own
    /// section); the first error in file and section order is the one reported. GOT slots, which take space
    /// in decision order, are then handed out in one sequential pass, as a sequential scan would.</summary>
    public static void Scan(IReadOnlyList<InputFile> files, GlobalOffsetTable got, bool allowTls = false)
    {
        var work = new List<(InputFile File, InputSection Section)>();
        long relocationCount = 0;
        foreach (var file in files)
            foreach (var section in file.Sections)
                if (section is { IsLive: true } && section.Relocations.Length != 0)
                {
                    work.Add((file, section));
                    relocationCount += section.Relocations.Length;
                }

        var failures = new LinkerException?[work.Count];
        SmallWork.For(work.Count, relocationCount, ParallelFromRelocations, i =>
        {
            var (file, section) = work[i];
            try
            {
                var relocations = section.Relocations;
                long contentsLength = section.HasContents ? section.Contents.Length : -1;
                for (int r = 0; r < relocations.Length; r++)
                    ScanOne(file, section, contentsLength, relocations, r, allowTls);
            }
            catch (LinkerException error)
            {
                failures[i] = error;
            }
        });
        foreach (var failure in failures)
            if (failure is not null)
                throw failure;

        foreach (var (file, section) in work)
        {
            var relocations = section.Relocations;
            for (int r = 0; r < relocations.Length; r++)
            {
                ref readonly var relocation = ref relocations[r];
                uint type = relocation.Type;
                var action = section.ActionOf(r);
                if (type == None || action == RelocationAction.Skip)
                    continue;
                if (IsThreadLocal(type))
                {
                    if (action == RelocationAction.UseTpOffGotSlot)
                        got.AddTpOffSlotFor(file.Symbols[relocation.SymbolIndex]);
                }
                else if (IsGotRelative(type))
                {
                    if (action == RelocationAction.UseGotSlot)
                        got.AddSlotFor(file.Symbols[relocation.SymbolIndex]);
                }
                else if (UsesGotBase(type))
                {
                    got.IsReferenced = true;
                }
            }
        }
    }

    /// <summary>Below this many relocations one thread is faster (a small NativeAOT app has ~50k).</summary>
    internal const int ParallelFromRelocations = 100_000;

    /// <param name="contentsLength">The section's size in bytes, or -1 for a section without contents.</param>
    private static void ScanOne(InputFile file, InputSection section, long contentsLength, ReadOnlySpan<Relocation> relocations,
        int index, bool allowTls)
    {
        ref readonly var relocation = ref relocations[index];
        var symbol = file.Symbols[relocation.SymbolIndex];
        ulong offset = relocation.Offset;
        LinkerException Error(string problem) =>
            new(problem, file: file.Path, section: section.Name, offset: offset, symbol: symbol.DisplayName);

        // Checked before the type so that TLS relocations (TPOFF32, TLSGD...) get the explanation.
        bool threadLocalSymbol = symbol.Type == ElfConstants.STT_TLS
            || symbol is { Kind: SymbolKind.Section, Section.IsThreadLocal: true };
        if (!allowTls && threadLocalSymbol)
            throw Error(SectionClassifier.TlsNotSupported);

        uint type = relocation.Type;
        if (!IsSupported(type) || !allowTls && IsThreadLocal(type))
            throw Error($"unsupported relocation {Name(type)}");
        // Even R_X86_64_NONE, which patches nothing, must point into its section: an r_offset beyond it is a sign
        // of a corrupt table (one read from the wrong file offset, say).
        if (contentsLength >= 0 && relocation.Offset > (ulong)contentsLength)
            throw Error($"relocation {Name(type)} offset is past the end of the section (0x{contentsLength:x} bytes)");
        if (type == None || section.ActionOf(index) == RelocationAction.Skip)
            return;

        int width = Width(type);
        if (contentsLength < 0)
            throw Error("relocation in a section without contents (SHT_NOBITS)");
        ulong length = (ulong)contentsLength;
        if (length - relocation.Offset < (ulong)width)
            throw Error($"relocation {Name(type)} extends past the end of the section");

        if (symbol.Kind == SymbolKind.Undefined && !symbol.IsWeak)
        {
            throw new LinkerException("undefined symbol", file: file.Path, section: section.Name, offset: offset,
                symbol: symbol.DisplayName, unit: file.Unit.DiagnosticName);
        }
        if (symbol.IsInDroppedSection && section.Name != ".eh_frame")
        {
            // Kernel: .eh_frame entries for dropped COMDAT code are left pointing at 0 rather than removed.
            // Executables: EhFrameSections already dropped those entries and their relocations.
            throw Error($"relocation refers to discarded section {symbol.Section!.Name}");
        }

        if (IsThreadLocal(type))
        {
            if (!threadLocalSymbol && type is not TlsLd)
                throw Error($"{Name(type)} refers to a symbol that is not thread-local");
            if (TlsRelaxation.Decide(section.Contents, section, relocations, index) is { } problem)
                throw Error(problem);
            return;
        }
        if (threadLocalSymbol)
            throw Error($"{Name(type)} cannot refer to a thread-local symbol");

        if (IsGotRelative(type))
            section.SetAction(index, GotRelaxation.Decide(section.Contents, relocation, symbol));
    }
}
