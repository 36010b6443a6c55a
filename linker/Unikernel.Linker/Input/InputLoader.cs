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
    private HashSet<SymbolName> _defined = [];
    private HashSet<SymbolName> _referenced = [];
    private LinkUnit _unit = null!;
    // Counts additions to _referenced. An archive scanned when the count was N can yield nothing new while it is
    // still N (definitions and extractions only ever rule members out), so a group's closing round, and the
    // last round of each archive's own rescan loop, skip the archives nothing has changed for.
    private int _referenceGeneration;
    private readonly Dictionary<Archive, int> _scannedAtGeneration = [];
    private readonly PreparedInput[] _prepared;

    // Every name any archive's index offers. _defined and _referenced are only ever asked about these, so
    // only these are recorded: a large object's 100k definitions then cost a probe into this small set each
    // instead of an insertion into a set as large as the object.
    private readonly HashSet<SymbolName> _indexNames = [];

    private InputLoader(PreparedInput[] prepared)
    {
        _prepared = prepared;
        int names = 0;
        foreach (var input in prepared)
            names += input.ArchiveIfRead?.IndexNames.Length ?? 0;
        _indexNames.EnsureCapacity(names);
        foreach (var input in prepared)
            if (input.ArchiveIfRead is { } archive)
                _indexNames.UnionWith(archive.IndexNames);
    }

    public static List<InputFile> Load(LinkOptions options, IReadOnlyList<LinkUnit> units)
    {
        var paths = options.InputPaths;
        // Every command-line input is read and every plain object parsed up front, in parallel; the
        // order-dependent decisions below then only consume the results, in command-line order.
        var prepared = new PreparedInput[paths.Count];
        Parallel.For(0, paths.Count, i => prepared[i] = PreparedInput.FromPath(paths[i]));
        var loader = new InputLoader(prepared);
        int nextUnit = 0;
        for (int i = 0; i < paths.Count; i++)
        {
            while (nextUnit < units.Count && units[nextUnit].FirstInput <= i)
                loader.StartUnit(units[nextUnit++]);
            var group = options.ArchiveGroups.FirstOrDefault(g => g.Start.Value == i && g.End.Value > i);
            if (group.End.Value > i)
            {
                loader.LoadGroup(group.Start.Value, group.End.Value);
                i = group.End.Value - 1;
                continue;
            }
            loader.LoadOne(i);
        }
        return loader._files;
    }

    private void StartUnit(LinkUnit unit)
    {
        _unit = unit;
        _defined = [];
        _referenced = [];
        _referenceGeneration++;
    }

    private void LoadGroup(int start, int end)
    {
        var archives = new List<Archive>();
        for (int i = start; i < end; i++)
            if (LoadOne(i) is { } archive)
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
    private Archive? LoadOne(int input)
    {
        if (_prepared[input].Object is { } file)
        {
            Add(file);
            return null;
        }
        var archive = _prepared[input].Archive;
        while (ExtractNeeded(archive))
        {
        }
        return archive;
    }

    /// <summary>One pass over the archive's symbol index; true when a member was pulled in.</summary>
    private bool ExtractNeeded(Archive archive)
    {
        if (_scannedAtGeneration.TryGetValue(archive, out int scanned) && scanned == _referenceGeneration)
            return false;
        _scannedAtGeneration[archive] = _referenceGeneration;
        var parsedAhead = ParseCandidates(archive);
        bool extracted = false;
        var index = archive.Index;
        for (int i = 0; i < index.Count; i++)
        {
            var symbol = archive.IndexNames[i];
            var member = index[i].Member;
            if (!_referenced.Contains(symbol) || _defined.Contains(symbol) || !_extracted.Add((archive, member)))
                continue;
            var parsed = parsedAhead.TryGetValue(member, out var ahead) ? ahead : PreparedInput.FromMember(archive, member);
            Add(parsed.Object!);
            extracted = true;
        }
        return extracted;
    }

    /// <summary>
    /// Parses, in parallel, the members this pass would extract as things stand before it. The pass itself
    /// still decides member by member (an extracted member can define or need symbols that change later
    /// decisions), so the result is exactly the sequential one: a member parsed here but then not needed is
    /// simply dropped, one needed but not foreseen is parsed on the spot.
    /// </summary>
    private Dictionary<ArchiveMember, PreparedInput> ParseCandidates(Archive archive)
    {
        var candidates = new List<ArchiveMember>();
        var seen = new HashSet<ArchiveMember>();
        var index = archive.Index;
        for (int i = 0; i < index.Count; i++)
        {
            var symbol = archive.IndexNames[i];
            var member = index[i].Member;
            if (_referenced.Contains(symbol) && !_defined.Contains(symbol) && !_extracted.Contains((archive, member))
                && seen.Add(member))
                candidates.Add(member);
        }
        var parsed = new PreparedInput[candidates.Count];
        long bytes = 0;
        foreach (var member in candidates)
            bytes += member.Size;
        SmallWork.For(candidates.Count, bytes, ParallelFromMemberBytes, i => parsed[i] = PreparedInput.FromMember(archive, candidates[i]));
        var byMember = new Dictionary<ArchiveMember, PreparedInput>(candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
            if (parsed[i] is { } input)
                byMember.Add(candidates[i], input);
        return byMember;
    }

    /// <summary>Below this many bytes of members, one thread parses them faster than it can wake helpers.</summary>
    private const long ParallelFromMemberBytes = 512 << 10;

    private void Add(InputFile file)
    {
        file.Order = _files.Count;
        _files.Add(file);
        file.Unit = _unit;
        for (int i = 1; i < file.Symbols.Length; i++)
        {
            var symbol = file.Symbols[i];
            symbol.Unit = _unit;
            if (symbol.IsLocal || !_indexNames.Contains(symbol.Key))
                continue;
            if (symbol.IsDefined)
                _defined.Add(symbol.Key);
            else if (!symbol.IsWeak && _referenced.Add(symbol.Key))
                _referenceGeneration++;
        }
    }
}
