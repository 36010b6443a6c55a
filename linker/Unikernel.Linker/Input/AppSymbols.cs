using System.Runtime.InteropServices;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Input;

/// <summary>
/// The function symbols of the app's .symtab, for uk_ksyms: with them a kernel fault report in app code
/// names the app's function. A stripped app (no section headers, no SHT_SYMTAB, or an empty one as
/// <c>uk-ld -s</c> writes) simply has none. A symbol table that is there but corrupt is an error: it is
/// the sign of a damaged file, whose segments should not be trusted either.
/// </summary>
internal static class AppSymbols
{
    /// <param name="allNames">Gets every function name, aliases included (the list keeps one name per address).</param>
    public static List<AppFunction> ReadFunctions(string path, ReadOnlySpan<byte> image, List<AppSegment> segments, HashSet<string> allNames)
    {
        var file = MemoryMarshal.Read<Elf64Header>(image);
        ulong tableOffset = file.SectionHeaderOffset;
        ushort entrySize = file.SectionHeaderEntrySize;
        ulong count = file.SectionCount;
        if (tableOffset == 0)
            return [];
        ulong length = (ulong)image.Length;
        if (entrySize != SectionHeaderSize)
            throw new LinkerException($"corrupt app: section headers are {entrySize} bytes each, expected {SectionHeaderSize}",
                file: path);
        if (tableOffset > length || SectionHeaderSize > length - tableOffset)
            throw new LinkerException($"corrupt app: section header table (file offset 0x{tableOffset:x}) is outside the file",
                file: path);
        if (count == 0)
            count = Header(image, tableOffset, 0).Size; // extended numbering: the count is section 0's sh_size
        if (count > (length - tableOffset) / SectionHeaderSize)
            throw new LinkerException($"corrupt app: section header table (file offset 0x{tableOffset:x}, {count} entries) " +
                "extends past the end of the file", file: path);

        int symbolTable = -1;
        for (int i = 1; i < (int)count; i++)
        {
            if (Header(image, tableOffset, i).Type == SHT_SYMTAB)
            {
                symbolTable = i;
                break;
            }
        }
        if (symbolTable < 0)
            return [];

        string where = $"section {symbolTable} (SHT_SYMTAB)";
        var symbols = Header(image, tableOffset, symbolTable);
        if (symbols.EntrySize != SymbolSize || symbols.Size % SymbolSize != 0)
            throw new LinkerException($"corrupt app: symbol table entries are not {SymbolSize} bytes", file: path, section: where);
        CheckInside(path, where, symbols, length);
        if (symbols.Link == 0 || symbols.Link >= count)
            throw new LinkerException($"corrupt app: symbol table links to section {symbols.Link}, which does not exist",
                file: path, section: where);
        var strings = Header(image, tableOffset, (int)symbols.Link);
        string stringsWhere = $"section {symbols.Link} (string table)";
        if (strings.Type != SHT_STRTAB)
            throw new LinkerException($"corrupt app: symbol table links to section {symbols.Link}, which is not SHT_STRTAB",
                file: path, section: where);
        CheckInside(path, stringsWhere, strings, length);
        var names = new ElfStringTable(image.Slice((int)strings.Offset, (int)strings.Size), path, stringsWhere);

        // Aliases (one address, several names) would make address lookup ambiguous: keep one per address,
        // preferring a real size, then a global name, then the first seen -- the rule uk_ksyms uses for the kernel.
        var functions = new List<AppFunction>();
        var atAddress = new Dictionary<ulong, (int Index, bool Global)>();
        var table = image.Slice((int)symbols.Offset, (int)symbols.Size);
        for (int offset = SymbolSize; offset < table.Length; offset += SymbolSize)
        {
            var symbol = MemoryMarshal.Read<Elf64Symbol>(table.Slice(offset, SymbolSize));
            if (symbol.Type != STT_FUNC || symbol.SectionIndex == SHN_UNDEF || !IsLoaded(segments, symbol.Value))
                continue;
            string name = names.Get(symbol.NameOffset);
            if (name.Length == 0)
                continue;
            allNames.Add(name);
            var function = new AppFunction(symbol.Value, symbol.Size, name);
            bool global = symbol.Binding != STB_LOCAL;
            if (atAddress.TryGetValue(symbol.Value, out var current))
            {
                var kept = functions[current.Index];
                bool better = (function.Size != 0) != (kept.Size != 0) ? function.Size != 0 : global && !current.Global;
                if (better)
                {
                    functions[current.Index] = function;
                    atAddress[symbol.Value] = (current.Index, global);
                }
                continue;
            }
            atAddress.Add(symbol.Value, (functions.Count, global));
            functions.Add(function);
        }
        return functions;
    }

    private static bool IsLoaded(List<AppSegment> segments, ulong address) =>
        segments.Exists(segment => address >= segment.VirtualAddress && address < segment.End);

    private static Elf64SectionHeader Header(ReadOnlySpan<byte> image, ulong tableOffset, int index) =>
        MemoryMarshal.Read<Elf64SectionHeader>(image.Slice(checked((int)tableOffset + index * SectionHeaderSize), SectionHeaderSize));

    private static void CheckInside(string path, string where, Elf64SectionHeader header, ulong length)
    {
        if (header.Offset > length || header.Size > length - header.Offset)
            throw new LinkerException($"corrupt app: contents (file offset 0x{header.Offset:x}, 0x{header.Size:x} bytes) " +
                "extend past the end of the file", file: path, section: where);
    }
}
