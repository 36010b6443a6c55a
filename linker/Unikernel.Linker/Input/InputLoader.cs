using Unikernel.Linker.Model;

namespace Unikernel.Linker.Input;

/// <summary>
/// Pass 1: reads the command line's objects and archives in order, like a Unix linker. An object is
/// always linked; an archive member only when it defines a symbol that is, at that point, referenced
/// (strongly: a weak reference does not pull members in) and not yet defined. One archive is rescanned
/// until it yields nothing more, so members that need each other are found whatever their order; an
/// archive later on the command line can not satisfy references from members of an earlier one unless
/// both sit in one --start-group/--end-group, which is rescanned as a whole. All of this happens per link
/// unit: an archive given in unit U is searched only for U's references, and its members join U.
/// </summary>
public sealed class InputLoader
{
    private readonly List<InputFile> _files = [];
    private readonly HashSet<(Archive, ArchiveMember)> _extracted = [];
    // The current unit's namespace: what it defines and what it still needs. Reset at each unit's start,
    // since inputs never come back to an earlier unit.
    private HashSet<string> _defined = new(StringComparer.Ordinal);
    private HashSet<string> _referenced = new(StringComparer.Ordinal);
    private LinkUnit _unit = null!;

    public static List<InputFile> Load(LinkOptions options, IReadOnlyList<LinkUnit> units)
    {
        var loader = new InputLoader();
        var paths = options.InputPaths;
        int nextUnit = 0;
        for (int i = 0; i < paths.Count; i++)
        {
            while (nextUnit < units.Count && units[nextUnit].FirstInput <= i)
                loader.StartUnit(units[nextUnit++]);
            var group = options.ArchiveGroups.FirstOrDefault(g => g.Start.Value == i && g.End.Value > i);
            if (group.End.Value > i)
            {
                loader.LoadGroup(paths, group.Start.Value, group.End.Value);
                i = group.End.Value - 1;
                continue;
            }
            loader.LoadOne(paths[i]);
        }
        return loader._files;
    }

    private void StartUnit(LinkUnit unit)
    {
        _unit = unit;
        _defined = new HashSet<string>(StringComparer.Ordinal);
        _referenced = new HashSet<string>(StringComparer.Ordinal);
    }

    private void LoadGroup(IReadOnlyList<string> paths, int start, int end)
    {
        var archives = new List<Archive>();
        for (int i = start; i < end; i++)
            if (LoadOne(paths[i]) is { } archive)
                archives.Add(archive);
        bool progress = true;
        while (progress)
        {
            progress = false;
            foreach (var archive in archives)
                progress |= ExtractNeeded(archive);
        }
    }

    /// <summary>Returns the archive when the input was one (so a group can rescan it).</summary>
    private Archive? LoadOne(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot read input: {error.Message}", file: path);
        }

        if (!ArchiveReader.IsArchive(bytes))
        {
            Add(ObjectFileReader.Read(path, _files.Count, bytes));
            return null;
        }
        var archive = ArchiveReader.Read(path, bytes);
        while (ExtractNeeded(archive))
        {
        }
        return archive;
    }

    /// <summary>One pass over the archive's symbol index; true when a member was pulled in.</summary>
    private bool ExtractNeeded(Archive archive)
    {
        bool extracted = false;
        foreach (var (symbol, member) in archive.Index)
        {
            if (!_referenced.Contains(symbol) || _defined.Contains(symbol) || !_extracted.Add((archive, member)))
                continue;
            Add(ObjectFileReader.Read(archive.MemberPath(member), _files.Count, archive.ContentsOf(member)));
            extracted = true;
        }
        return extracted;
    }

    private void Add(InputFile file)
    {
        _files.Add(file);
        file.Unit = _unit;
        for (int i = 1; i < file.Symbols.Length; i++)
        {
            var symbol = file.Symbols[i];
            symbol.Unit = _unit;
            if (symbol.IsLocal)
                continue;
            if (symbol.IsDefined)
                _defined.Add(symbol.Name);
            else if (!symbol.IsWeak)
                _referenced.Add(symbol.Name);
        }
    }
}
