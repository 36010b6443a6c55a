namespace Unikernel.Linker.Model;

/// <summary>A section of an input file that may end up in the image.</summary>
public sealed class InputSection
{
    public InputSection(InputFile? file, string name, uint type, ulong flags, ulong alignment, ulong size, byte[]? data)
    {
        File = file;
        Name = name;
        Type = type;
        Flags = flags;
        Alignment = alignment == 0 ? 1 : alignment;
        Size = size;
        Data = data;
        IsThreadLocal = (flags & ElfConstants.SHF_TLS) != 0 || name is ".tdata" or ".tbss"
            || name.StartsWith(".tdata.", StringComparison.Ordinal) || name.StartsWith(".tbss.", StringComparison.Ordinal);
    }

    /// <summary>Null for sections the linker synthesises (uk_ksyms, .got, COMMON).</summary>
    public InputFile? File { get; }

    public string Name { get; }
    public uint Type { get; }
    public ulong Flags { get; }
    public ulong Alignment { get; }
    public ulong Size { get; set; }

    /// <summary>The section's bytes, patched in place by relocation; null for SHT_NOBITS.</summary>
    public byte[]? Data { get; set; }

    public Relocation[] Relocations { get; set; } = [];

    /// <summary>False when the section is dropped: a losing COMDAT copy, debug info, an empty TLS section...</summary>
    public bool IsLive { get; set; } = true;

    /// <summary>--gc-sections' mark: a bit on the section rather than a set of ~100k sections to hash into.</summary>
    public bool IsMarked { get; set; }

    public OutputSection? Output { get; set; }
    public ulong OffsetInOutput { get; set; }

    public ulong Address => Output is null ? 0 : Output.Address + OffsetInOutput;

    public bool IsNoBits => Type == ElfConstants.SHT_NOBITS;

    /// <summary>Fixed at construction (name and flags never change): the relocation scan asks once per relocation.</summary>
    public bool IsThreadLocal { get; }

    public string FileName => File?.Path ?? SyntheticFileName;

    /// <summary>How the map and diagnostics name the linker itself as a section's origin.</summary>
    public const string SyntheticFileName = "<linker>";

    public override string ToString() => $"{FileName}:{Name}";
}
