using Unikernel.Linker.Model;

namespace Unikernel.Linker.Input;

/// <summary>
/// The <c>read</c> pass: reads the command line's objects and archives in order, like a Unix linker. An object is
/// always linked; an archive member only when it defines a symbol that is, at that point, referenced (strongly: a weak
/// reference does not pull members in) and not yet defined. One archive is rescanned until it yields nothing more, so
/// members that need each other are found whatever their order; an archive later on the command line can not satisfy
/// references from members of an earlier one unless both sit in one --start-group/--end-group, which is rescanned as a
/// whole. All of this happens per link unit: an archive given in unit U is searched only for U's references, and its
/// members join U.
/// </summary>
public sealed class InputLoader
{
    private readonly List<InputFile> _files = [];
    private LinkUnit _unit = null!;
    private readonly PreparedInput[] _prepared;

    // Every name any archive's index offers, numbered: the loader only ever asks about these, so a definition or
    // reference is recorded as a flag at the name's number, and the index scans below test flags instead of hashing
    // names. A large object's 100k definitions cost one probe each into this (small) dictionary.
    private readonly Dictionary<SymbolName, int> _indexNameIds = [];
    // One bit per value of a name hash's low bits, set for every index name: most of a large object's names are in
    // no index, and a bit test turns them away without a probe into the dictionary (a cache miss each).
    private readonly ulong[] _indexNameHashBits = new ulong[IndexNameHashBits / 64];
    private const int IndexNameHashBits = 1 << 20;
    private readonly Dictionary<Archive, ArchiveScan> _archives = new(ReferenceEqualityComparer.Instance);

    // The current unit's namespace: which index names it defines and which it still needs. Reset at each unit's
    // start, since inputs never come back to an earlier unit.
    private bool[] _defined = [];
    private bool[] _referenced = [];

    // Counts additions to _referenced. An archive scanned when the count was N can yield nothing new while it is
    // still N (definitions and extractions only ever rule members out), so a group's closing round, and the
    // last round of each archive's own rescan loop, skip the archives nothing has changed for.
    private int _referenceGeneration;

    /// <summary>An archive's index as name numbers and member numbers, and which members were extracted.</summary>
    private sealed class ArchiveScan(int[] nameIds, int[] memberNumbers, ArchiveMember[] members)
    {
        public int[] NameIds { get; } = nameIds;
        public int[] MemberNumbers { get; } = memberNumbers;
        public ArchiveMember[] Members { get; } = members;
        public bool[] Extracted { get; } = new bool[members.Length];
        public int ScannedAtGeneration { get; set; } = -1;
    }

    private InputLoader(PreparedInput[] prepared)
    {
        _prepared = prepared;
        int names = 0;
        foreach (var input in prepared)
            names += input.ArchiveIfRead?.IndexNames.Length ?? 0;
        _indexNameIds.EnsureCapacity(names);
        foreach (var input in prepared)
            if (input.ArchiveIfRead is { } archive)
                _archives[archive] = Number(archive);
    }

    private ArchiveScan Number(Archive archive)
    {
        var index = archive.Index;
        var nameIds = new int[index.Count];
        var memberNumbers = new int[index.Count];
        var members = new List<ArchiveMember>();
        var memberNumber = new Dictionary<ArchiveMember, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < index.Count; i++)
        {
            ref int id = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_indexNameIds,
                archive.IndexNames[i], out bool known);
            if (!known)
            {
                id = _indexNameIds.Count - 1;
                int bit = archive.IndexNames[i].GetHashCode() & (IndexNameHashBits - 1);
                _indexNameHashBits[bit >> 6] |= 1UL << bit;
            }
            nameIds[i] = id;
            var member = index[i].Member;
            if (!memberNumber.TryGetValue(member, out int number))
            {
                number = members.Count;
                memberNumber.Add(member, number);
                members.Add(member);
            }
            memberNumbers[i] = number;
        }
        return new ArchiveScan(nameIds, memberNumbers, [.. members]);
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
        _defined = new bool[_indexNameIds.Count];
        _referenced = new bool[_indexNameIds.Count];
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

    /// <summary>Whether index entry <paramref name="entry"/> names a member to extract now: its name is wanted, not
    /// yet defined, and its member not yet extracted.</summary>
    private bool Wants(ArchiveScan scan, int entry)
    {
        int name = scan.NameIds[entry];
        return _referenced[name] && !_defined[name] && !scan.Extracted[scan.MemberNumbers[entry]];
    }

    /// <summary>One pass over the archive's symbol index; true when a member was pulled in.</summary>
    private bool ExtractNeeded(Archive archive)
    {
        var scan = _archives[archive];
        if (scan.ScannedAtGeneration == _referenceGeneration)
            return false;
        scan.ScannedAtGeneration = _referenceGeneration;
        var parsedAhead = ParseCandidates(archive, scan);
        bool extracted = false;
        for (int i = 0; i < scan.NameIds.Length; i++)
        {
            if (!Wants(scan, i))
                continue;
            int number = scan.MemberNumbers[i];
            scan.Extracted[number] = true;
            var member = scan.Members[number];
            var parsed = parsedAhead[number] ?? PreparedInput.FromMember(archive, member);
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
    private PreparedInput?[] ParseCandidates(Archive archive, ArchiveScan scan)
    {
        var parsed = new PreparedInput?[scan.Members.Length];
        var candidates = new List<int>();
        var seen = new bool[scan.Members.Length];
        long bytes = 0;
        for (int i = 0; i < scan.NameIds.Length; i++)
        {
            int number = scan.MemberNumbers[i];
            if (seen[number] || !Wants(scan, i))
                continue;
            seen[number] = true;
            candidates.Add(number);
            bytes += scan.Members[number].Size;
        }
        SmallWork.For(candidates.Count, bytes, ParallelFromMemberBytes,
            i => parsed[candidates[i]] = PreparedInput.FromMember(archive, scan.Members[candidates[i]]));
        return parsed;
    }

    /// <summary>Below this many bytes of members, one thread parses them faster than it can wake helpers.</summary>
    private const long ParallelFromMemberBytes = 512 << 10;

    private bool MayBeIndexName(SymbolName name)
    {
        int bit = name.GetHashCode() & (IndexNameHashBits - 1);
        return (_indexNameHashBits[bit >> 6] & (1UL << bit)) != 0;
    }

    private void Add(InputFile file)
    {
        file.Order = _files.Count;
        _files.Add(file);
        file.Unit = _unit;
        for (int i = 1; i < file.Symbols.Length; i++)
        {
            var symbol = file.Symbols[i];
            symbol.Unit = _unit;
            if (symbol.IsLocal || !MayBeIndexName(symbol.Key) || !_indexNameIds.TryGetValue(symbol.Key, out int name))
                continue;
            if (symbol.IsDefined)
                _defined[name] = true;
            else if (!symbol.IsWeak && !_referenced[name])
            {
                _referenced[name] = true;
                _referenceGeneration++;
            }
        }
    }
}
