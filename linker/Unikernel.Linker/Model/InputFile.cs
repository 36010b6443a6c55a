namespace Unikernel.Linker.Model;

/// <summary>One relocatable object, reduced to what the later passes need.</summary>
public sealed class InputFile
{
    public InputFile(string path, int order)
    {
        Path = path;
        Order = order;
    }

    /// <summary>As given on the command line (<c>libc.a(printf.o)</c> for an archive member): it is what
    /// the user recognises in errors and the map.</summary>
    public string Path { get; }

    /// <summary>Command-line position; the tie-breaker that keeps every ordering deterministic. Set again by
    /// the loader when the file joins the link, since files are parsed ahead of that, in parallel.</summary>
    public int Order { get; internal set; }

    /// <summary>Indexed by ELF section header index; null where the section carries no loadable content
    /// (symbol/string/relocation tables, the null section).</summary>
    public InputSection?[] Sections { get; set; } = [];

    /// <summary>Indexed by symbol table index. Globals point at the one shared <see cref="Symbol"/>
    /// the resolver keeps per name, so relocations need no name lookups.</summary>
    public Symbol[] Symbols { get; set; } = [];

    public List<ComdatGroup> ComdatGroups { get; } = [];

    /// <summary>The link unit whose namespace the file's global symbols live in; set by the loader.</summary>
    public LinkUnit Unit { get; set; } = null!;

    public override string ToString() => Path;
}
