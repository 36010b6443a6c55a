using Unikernel.Linker.Model;

namespace Unikernel.Linker.Resolution;

/// <summary>
/// Keeps the first COMDAT group of each signature (command-line order) and drops the member sections
/// of later copies, so inline functions and template instances compiled into several objects appear once.
/// Per link unit: two units' runtimes are different builds, so a group of one is no copy of the other's.
/// Runs before symbol resolution: definitions in dropped members must not compete.
/// </summary>
public static class ComdatGroupFilter
{
    public static void Apply(IReadOnlyList<InputFile> files)
    {
        var seenSignatures = new HashSet<(LinkUnit, string)>();
        foreach (var file in files)
        {
            foreach (var group in file.ComdatGroups)
            {
                if (seenSignatures.Add((file.Unit, group.Signature)))
                    continue;
                foreach (int member in group.MemberSectionIndices)
                    if (file.Sections[member] is { } section)
                        section.IsLive = false;
            }
        }
    }
}
