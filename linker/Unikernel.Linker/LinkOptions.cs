namespace Unikernel.Linker;

public sealed record LinkOptions
{
    /// <summary>1 MiB: the PVH loader places the image at its physical address, and low memory is the BIOS's.</summary>
    public const ulong DefaultBaseAddress = 0x100000;

    public const string DefaultEntrySymbol = "uk_pvh_entry";

    public required string OutputPath { get; init; }
    public string? MapPath { get; init; }
    public ulong BaseAddress { get; init; } = DefaultBaseAddress;
    public string EntrySymbol { get; init; } = DefaultEntrySymbol;
    public required IReadOnlyList<string> InputPaths { get; init; }
}
