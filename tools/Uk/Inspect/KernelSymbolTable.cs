namespace Unikernel.Tools.Inspect;

/// <summary>
/// Reads <c>uk_ksyms</c>, the function table uk-ld embeds in an image (layout: formats/KernelSymbolsFormat.cs and
/// docs/boot-abi.md, "uk_ksyms"; decoded by the codec the linker encodes with). With --app the app's functions are
/// named <c>app:NAME</c>.
/// </summary>
public static class KernelSymbolTable
{
    public const string AppPrefix = KernelSymbolsFormat.AppPrefix;

    public sealed record Function(ulong Address, uint Size, string Name)
    {
        public bool IsApp => Name.StartsWith(AppPrefix, StringComparison.Ordinal);
        /// <summary>The name without the <c>app:</c> prefix.</summary>
        public string PlainName => IsApp ? Name[AppPrefix.Length..] : Name;
    }

    /// <summary>The table's functions, or null when the bytes are not a uk_ksyms table.</summary>
    public static IReadOnlyList<Function>? Parse(ReadOnlySpan<byte> bytes) =>
        KernelSymbolsCodec.Decode(bytes)?.Select(f => new Function(f.Address, (uint)f.Size, f.Name)).ToList();

    /// <summary>Writes a table with the linker's encoder; for tests and tools that build images by hand.</summary>
    public static byte[] Build(IEnumerable<(ulong Address, uint Size, string Name)> functions) =>
        KernelSymbolsCodec.Encode(functions.Select(f => new KernelSymbolsFunction(f.Address, f.Size, f.Name)));

    /// <summary>The table beside an image (uk-ld --symbols-file) for these image bytes; for tests and tools that build
    /// images by hand.</summary>
    public static byte[] BuildSideFile(byte[] image, IEnumerable<(ulong Address, uint Size, string Name)> functions) =>
        KernelSymbolsSideFile.Encode(image, Build(functions));
}
