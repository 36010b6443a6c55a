namespace Unikernel.Linker.Model;

/// <summary>
/// A link unit: a run of command-line inputs (<c>--unit NAME</c> up to the next <c>--unit</c>) with its own
/// global namespace. References resolve to the unit's own definitions first and then to names other units
/// <c>--export</c>; COMDAT groups and <c>__start_X</c>/<c>__stop_X</c> are per unit too. This is what lets
/// the kernel and an unmodified app, each with its own runtime (same names, different builds), share one
/// image. A link without <c>--unit</c> has one implicit unit and behaves like a classic Unix link.
/// </summary>
public sealed class LinkUnit
{
    /// <summary>How maps name the implicit unit (inputs before the first <c>--unit</c>); reserved for it.</summary>
    public const string ImplicitName = LinkMapFormat.DefaultUnit;

    public LinkUnit(string name, int index, int firstInput, IReadOnlyList<string> exports, bool isImplicit = false)
    {
        Name = name;
        Index = index;
        FirstInput = firstInput;
        Exports = exports;
        IsImplicit = isImplicit;
    }

    public string Name { get; }

    /// <summary>Command-line position among the units; output sections hold the units' pieces in this order.</summary>
    public int Index { get; }

    /// <summary>Index of the unit's first entry in <see cref="LinkOptions.InputPaths"/>; it owns every input up to
    /// the next unit's first.</summary>
    public int FirstInput { get; }

    /// <summary>Names this unit defines and other units may reference, in command-line order, without duplicates.</summary>
    public IReadOnlyList<string> Exports { get; }

    /// <summary>The unit of the inputs before any <c>--unit</c>: its symbols keep their plain names in the
    /// outputs and diagnostics, so a link without units reads exactly as before units existed.</summary>
    public bool IsImplicit { get; }

    /// <summary>The output name of a symbol of this unit: <c>kernel:Foo</c>, or plain <c>Foo</c> in the implicit unit.</summary>
    public string Qualify(string symbol) => IsImplicit ? symbol : $"{Name}:{symbol}";

    /// <summary>What a diagnostic appends to name the unit; null for the implicit unit (old messages unchanged).</summary>
    public string? DiagnosticName => IsImplicit ? null : Name;

    /// <summary>The units of a link, each input's unit found by <see cref="FirstInput"/>. Options without units
    /// get one implicit unit holding everything.</summary>
    public static IReadOnlyList<LinkUnit> Of(LinkOptions options)
    {
        if (options.Units.Count == 0)
            return [new LinkUnit(ImplicitName, 0, 0, [], isImplicit: true)];
        // The command line guarantees these; options built in code get the same checks.
        var units = options.Units;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < units.Count; i++)
        {
            if (units[i].Index != i || (i == 0 ? units[i].FirstInput != 0 : units[i].FirstInput < units[i - 1].FirstInput))
                throw new LinkerException($"unit '{units[i].Name}' is out of command-line order");
            if (!names.Add(units[i].Name))
                throw new LinkerException($"unit '{units[i].Name}' is declared twice");
            foreach (var group in options.ArchiveGroups)
                if (units[i].FirstInput > group.Start.Value && units[i].FirstInput < group.End.Value)
                    throw new LinkerException($"--unit {units[i].Name} inside --start-group/--end-group");
        }
        return units;
    }

    public override string ToString() => Name;
}
