namespace Unikernel.Linker.Output;

/// <summary>
/// The inputs a link used, read back from its map (LinkMapWriter's `file` records): what a benchmark or a
/// reference link needs to redo the same link. Plain objects come in link order; archives are named once
/// each, in the order their first member was used; the linker's own synthetic sections are skipped.
/// </summary>
public sealed record LinkMapInputs(IReadOnlyList<string> Objects, IReadOnlyList<string> Archives)
{
    public static LinkMapInputs Read(string mapPath)
    {
        var objects = new List<string>();
        var archives = new List<string>();
        foreach (var line in File.ReadLines(mapPath))
        {
            if (!line.StartsWith("file\t", StringComparison.Ordinal)) continue;
            string path = line.Split('\t')[1];
            if (path.StartsWith('<')) continue;
            int member = path.IndexOf(".a(", StringComparison.Ordinal);
            var list = member >= 0 ? archives : objects;
            string input = member >= 0 ? path[..(member + 2)] : path;
            // A file appears once per unit in the map; the link names it once.
            if (!list.Contains(input)) list.Add(input);
        }
        return new LinkMapInputs(objects, archives);
    }
}
