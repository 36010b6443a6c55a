using System.Globalization;
using System.Text;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Output;

/// <summary>
/// The link map, meant to be read by tools (<c>uk inspect</c>) as much as by people. Every record is one
/// tab-separated line whose first field names the record kind; input sections are indented by one tab
/// under their output section. Lines starting with <c>#</c> are column headers. Numbers are hex with 0x.
/// </summary>
public static class LinkMapWriter
{
    public const string FormatLine = "# uk-ld link map v1";

    public static string Write(SectionLayout layout, IReadOnlyList<InputFile> files, string entrySymbol, ulong entryAddress)
    {
        var map = new StringBuilder();
        map.Append(FormatLine).Append('\n');

        map.Append("# entry\tsymbol\taddress\n");
        Row(map, "entry", entrySymbol, Hex(entryAddress));
        map.Append("# image\tstart\tend\n");
        Row(map, "image", Hex(layout.ImageStart), Hex(layout.ImageEnd));
        map.Append('\n');

        map.Append("# segment\ttype\tflags\taddress\toffset\tfile_size\tmemory_size\n");
        foreach (var segment in layout.Segments)
        {
            Row(map, "segment", "LOAD", segment.FlagsText, Hex(segment.VirtualAddress), Hex(segment.FileOffset),
                Hex(segment.FileSize), Hex(segment.MemorySize));
        }
        map.Append('\n');

        map.Append("# section\tname\taddress\tsize\talign\tsegment\n");
        map.Append("#\tinput\tfile\tsection\taddress\tsize\talign\n");
        foreach (var section in layout.Sections)
        {
            Row(map, "section", section.Name, Hex(section.Address), Hex(section.Size), Hex(section.Alignment),
                section.Segment.ToString());
            foreach (var input in section.Inputs)
            {
                map.Append('\t');
                Row(map, "input", input.FileName, input.Name, Hex(input.Address), Hex(input.Size), Hex(input.Alignment));
            }
        }
        map.Append('\n');

        map.Append("# file\tpath\ttext\trodata\tdata\tbss\ttotal\n");
        var totals = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var file in files)
        {
            totals[file.Path] = new ulong[4];
            order.Add(file.Path);
        }
        foreach (var section in layout.Sections)
        {
            foreach (var input in section.Inputs)
            {
                if (!totals.TryGetValue(input.FileName, out var sums))
                {
                    sums = new ulong[4];
                    totals.Add(input.FileName, sums);
                    order.Add(input.FileName);
                }
                int column = input.IsNoBits ? 3 : (int)section.Segment;
                sums[column] += input.Size;
            }
        }
        foreach (string path in order)
        {
            var sums = totals[path];
            Row(map, "file", path, Hex(sums[0]), Hex(sums[1]), Hex(sums[2]), Hex(sums[3]),
                Hex(sums[0] + sums[1] + sums[2] + sums[3]));
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

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
