using System.Runtime.InteropServices;

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

    /// <summary>A section whose bytes stay where the parser found them: in the input's mapping or buffer
    /// (<paramref name="source"/>, a <see cref="Input.MappedFile"/> or a byte[]) at <paramref name="sourceOffset"/>.
    /// Nothing copies them until the image writer puts them in the output, where relocation patches them.</summary>
    public InputSection(InputFile file, string name, uint type, ulong flags, ulong alignment, ulong size, object source,
        int sourceOffset)
        : this(file, name, type, flags, alignment, size, null)
    {
        _source = source;
        _sourceOffset = sourceOffset;
    }

    private readonly object? _source;
    private readonly int _sourceOffset;

    /// <summary>Null for sections the linker synthesises (uk_ksyms, .got, COMMON).</summary>
    public InputFile? File { get; }

    public string Name { get; }
    public uint Type { get; }
    public ulong Flags { get; }
    public ulong Alignment { get; }
    public ulong Size { get; set; }

    /// <summary>Bytes the linker made (synthetic sections) or rewrote (.eh_frame without dead FDEs); null for a
    /// section still in its input (<see cref="Contents"/>) and for SHT_NOBITS.</summary>
    public byte[]? Data { get; set; }

    /// <summary>False for SHT_NOBITS and for synthetic sections with nothing to write.</summary>
    public bool HasContents => Data is not null || _source is not null;

    /// <summary>The section's bytes as read (before relocation: relocation patches the output image, not these).</summary>
    public ReadOnlySpan<byte> Contents => Data is not null ? Data
        : _source is null ? [] : Input.MappedFile.View(_source, _sourceOffset, checked((int)Size));

    // A relocation table where the parser found it (a MappedFile or byte[] and the table's offset), or an array for
    // tables the linker made (several RELA sections for one section, the rebuilt .eh_frame's).
    private Relocation[] _relocationArray = [];
    private object? _relocationOwner;
    private int _relocationOffset, _relocationCount;
    private RelocationAction[]? _actions;

    public ReadOnlySpan<Relocation> Relocations => _relocationOwner is null
        ? _relocationArray
        : MemoryMarshal.Cast<byte, Relocation>(
            Input.MappedFile.View(_relocationOwner, _relocationOffset, _relocationCount * Relocation.Size));

    public void SetRelocations(Relocation[] relocations)
    {
        _relocationArray = relocations;
        _relocationOwner = null;
        _actions = null;
    }

    /// <summary>The section's relocations are the <paramref name="count"/> Elf64_Rela entries at
    /// <paramref name="offset"/> of <paramref name="owner"/> (a <see cref="Input.MappedFile"/> or a byte[]).</summary>
    public void SetRelocations(object owner, int offset, int count)
    {
        _relocationOwner = owner;
        _relocationOffset = offset;
        _relocationCount = count;
        _actions = null;
    }

    /// <summary>The scanner's decision for relocation <paramref name="index"/> (None until it decides).</summary>
    public RelocationAction ActionOf(int index) => _actions is null ? RelocationAction.None : _actions[index];

    /// <summary>Only the scanner's worker for this section calls it, so no two threads share the array.</summary>
    public void SetAction(int index, RelocationAction action)
    {
        _actions ??= new RelocationAction[Relocations.Length];
        _actions[index] = action;
    }

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
