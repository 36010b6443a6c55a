using System.Globalization;
using System.Text;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Output;

/// <summary>
/// The link map, meant to be read by tools (<c>uk inspect</c>) as much as by people. Every record is one
/// tab-separated line whose first field names the record kind; input sections are indented by one tab
/// under their output section. Lines starting with <c>#</c> are column headers. Numbers are hex with 0x.
/// Link units: one <c>unit</c> record each (the implicit unit is <c>default</c>), one <c>export</c> record per
/// exported symbol, and a trailing <c>unit</c> column on <c>input</c> and <c>file</c> rows (<c>-</c> for the
/// linker's own sections). An app embedded with --app: one <c>app</c> record (its file, the values of the
/// boot-info symbols, how many of its functions went into uk_ksyms) and one <c>app-segment</c> record per PT_LOAD
/// copied; these appear only with --app, and the app is not a <c>file</c> row (it is not a link input). The
/// <c>image</c> record is the kernel's own segments; <c>segment</c> records are the linker's segments: with --app also
/// uk_ksyms' own one after the app (its <c>section</c> record says segment <c>Symbols</c>). With --app also one
/// <c>image-info</c> record (name, version, the image's SHA-256 as in uk_image_info) and an <c>image-input</c> record per
/// input it lists.
/// Columns are only ever added at the end of a row, so readers index by position.
/// </summary>
public static class LinkMapWriter
{
    public const string FormatLine = LinkMapFormat.FormatLine;

    public static string Write(SectionLayout layout, IReadOnlyList<InputFile> files, SymbolTable symbols, string entrySymbol,
        ulong entryAddress, Input.AppExecutable? app = null, ImageInfo.Contents? imageInfo = null)
    {
        var map = new StringBuilder();
        map.Append(FormatLine).Append('\n');

        map.Append("# entry\tsymbol\taddress\n");
        Row(map, LinkMapFormat.Entry, entrySymbol, Hex(entryAddress));
        map.Append("# image\tstart\tend\n");
        Row(map, LinkMapFormat.Image, Hex(layout.ImageStart), Hex(layout.ImageEnd));
        map.Append('\n');

        if (app is not null)
        {
            map.Append("# app\tpath\tentry\tphdr\tphnum\tstart\tend\tfunctions\n");
            Row(map, LinkMapFormat.App, app.Path, Hex(app.Entry), Hex(app.ProgramHeaders), Hex(app.ProgramHeaderCount), Hex(app.Start),
                Hex(app.End), Hex((ulong)app.Functions.Count));
            map.Append("# app-segment\tprogram_header\tflags\taddress\toffset\tfile_size\tmemory_size\tapp_offset\n");
            foreach (var segment in app.Segments)
            {
                Row(map, LinkMapFormat.AppSegment, Hex((ulong)segment.HeaderIndex), segment.FlagsText, Hex(segment.VirtualAddress),
                    Hex(segment.OutputOffset), Hex(segment.FileSize), Hex(segment.MemorySize), Hex(segment.FileOffset));
            }
            map.Append('\n');
        }

        if (imageInfo is not null)
        {
            map.Append("# image-info\tname\tversion\tsha256\n");
            Row(map, LinkMapFormat.ImageInfo, imageInfo.Name, imageInfo.Version, Convert.ToHexStringLower(imageInfo.ImageSha256));
            map.Append("# image-input\tname\tkind\tsize\tsha256\n");
            foreach (var input in imageInfo.Inputs)
                Row(map, LinkMapFormat.ImageInput, input.Name, input.Kind == ImageInfo.InputKindApp ? LinkMapFormat.InputKindApp : LinkMapFormat.InputKindLinked, Hex(input.Size),
                    Convert.ToHexStringLower(input.Sha256));
            map.Append('\n');
        }

        map.Append("# unit\tname\tfiles\n");
        foreach (var unit in symbols.Units)
            Row(map, LinkMapFormat.Unit, unit.Name, Hex((ulong)files.Count(file => file.Unit == unit)));
        map.Append("# export\tunit\tsymbol\taddress\n");
        foreach (var unit in symbols.Units)
            foreach (string name in unit.Exports)
                Row(map, LinkMapFormat.Export, unit.Name, name, Hex(symbols.Find(unit, name)?.Address ?? 0));
        map.Append('\n');

        map.Append("# segment\ttype\tflags\taddress\toffset\tfile_size\tmemory_size\n");
        foreach (var segment in layout.Segments)
        {
            Row(map, LinkMapFormat.Segment, "LOAD", segment.FlagsText, Hex(segment.VirtualAddress), Hex(segment.FileOffset),
                Hex(segment.FileSize), Hex(segment.MemorySize));
        }
        map.Append('\n');

        map.Append("# section\tname\taddress\tsize\talign\tsegment\n");
        map.Append("#\tinput\tfile\tsection\taddress\tsize\talign\tunit\n");
        foreach (var section in layout.Sections)
        {
            Row(map, LinkMapFormat.Section, section.Name, Hex(section.Address), Hex(section.Size), Hex(section.Alignment),
                section.Segment.ToString());
            foreach (var input in section.Inputs)
            {
                map.Append('\t');
                Row(map, LinkMapFormat.Input, input.FileName, input.Name, Hex(input.Address), Hex(input.Size), Hex(input.Alignment),
                    input.File?.Unit.Name ?? LinkMapFormat.NoUnit);
            }
        }
        map.Append('\n');

        map.Append("# file\tpath\ttext\trodata\tdata\tbss\ttotal\tunit\n");
        // One row per (unit, file): an object given in two units is two sets of pieces.
        var totals = new Dictionary<(string Unit, string Path), ulong[]>();
        var order = new List<(string Unit, string Path)>();
        foreach (var file in files)
            if (totals.TryAdd((file.Unit.Name, file.Path), new ulong[4]))
                order.Add((file.Unit.Name, file.Path));
        foreach (var section in layout.Sections)
        {
            foreach (var input in section.Inputs)
            {
                var key = (input.File?.Unit.Name ?? LinkMapFormat.NoUnit, input.FileName);
                if (!totals.TryGetValue(key, out var sums))
                {
                    sums = new ulong[4];
                    totals.Add(key, sums);
                    order.Add(key);
                }
                // uk_ksyms in its own segment (with an app) is still constants: the rodata column.
                int column = input.IsNoBits ? 3 : section.Segment == SegmentKind.Symbols ? 1 : (int)section.Segment;
                sums[column] += input.Size;
            }
        }
        foreach (var key in order)
        {
            var sums = totals[key];
            Row(map, LinkMapFormat.File, key.Path, Hex(sums[0]), Hex(sums[1]), Hex(sums[2]), Hex(sums[3]),
                Hex(sums[0] + sums[1] + sums[2] + sums[3]), key.Unit);
        }
        return map.ToString();
    }

    private static void Row(StringBuilder map, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i != 0)
                map.Append('\t');
            // A tab or newline inside a name would break the record structure.
            map.Append(fields[i].Replace('\t', ' ').Replace('\n', ' '));
        }
        map.Append('\n');
    }

    private static string Hex(ulong value) => LinkMapFormat.HexPrefix + value.ToString("x", CultureInfo.InvariantCulture);
}
