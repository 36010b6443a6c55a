namespace Unikernel.Linker.Sbom;

/// <summary>A licence as CycloneDX states one: an SPDX expression, or (for what has no SPDX id, or only a URL) a name
/// and a URL.</summary>
public sealed record SbomLicense(string? Expression, string? Name = null, string? Url = null)
{
    /// <summary>A component list's licence column: an SPDX expression, or <c>name:TEXT</c> for a licence without one
    /// (tzdata's public domain).</summary>
    public static SbomLicense? FromColumn(string column) =>
        column.Length == 0 ? null
        : column.StartsWith("name:", StringComparison.Ordinal) ? new SbomLicense(null, column["name:".Length..])
        : new SbomLicense(column);
}

/// <summary>One CycloneDX component of the image. <see cref="BomRef"/> is unique in the document: the purl where
/// there is one.</summary>
public sealed class SbomComponent
{
    public required string Type { get; init; }
    public required string Name { get; init; }
    public required string BomRef { get; init; }
    public string? Version { get; init; }
    public string? Purl { get; init; }
    public string? Description { get; init; }
    /// <summary>null (required, CycloneDX's default) or <c>excluded</c>: used to build the app, not in the image
    /// (the NativeAOT compiler, the trimmer).</summary>
    public string? Scope { get; init; }
    public SbomLicense? License { get; init; }
    /// <summary>SHA-256 in lower-case hex, when the component is one file the linker hashed.</summary>
    public string? Sha256 { get; init; }
    public List<SbomComponent> Children { get; } = [];
    /// <summary>The bom-refs this component depends on (CycloneDX <c>dependencies</c>).</summary>
    public List<string> DependsOn { get; } = [];
}
