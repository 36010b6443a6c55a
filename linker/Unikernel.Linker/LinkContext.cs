using Unikernel.Linker.Input;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Resolution;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker;

/// <summary>
/// What the passes of one link hand each other (mold's Context): each property is set by the pass named beside it
/// and only read by later ones. A property of a pass that the kind of output skips stays null.
/// </summary>
internal sealed class LinkContext(LinkOptions options)
{
    public LinkOptions Options { get; } = options;

    /// <summary>A static Linux executable; otherwise a kernel image.</summary>
    public bool IsExecutable => Options.Kind == OutputKind.StaticExecutable;

    /// <summary>A kernel image that carries an app (--app); an executable never does.</summary>
    public bool HasApp => !IsExecutable && Options.AppPath is not null;

    // read
    public IReadOnlyList<LinkUnit> Units { get; set; } = null!;
    public List<InputFile> Files { get; set; } = null!;

    // resolve
    public SymbolTable Symbols { get; set; } = null!;

    // read app
    public AppExecutable? App { get; set; }

    // entry
    public Symbol Entry { get; set; } = null!;

    // unwind tables (executables)
    public EhFrameSections? Frames { get; set; }

    // synthetic sections, image info: in the order the layout meets them
    public List<InputSection> Synthetic { get; } = [];
    public GlobalOffsetTable Got { get; set; } = null!;
    public KernelSymbolTable? KernelSymbols { get; set; }
    public EhFrameHeader? EhFrameHeader { get; set; }
    public InputSection? BuildIdNote { get; set; }
    public InputSection? ImageInfoSection { get; set; }
    /// <summary>The paths of uk_files (for the SBOM's components named by image paths).</summary>
    public IReadOnlyList<string>? ImageFilePaths { get; set; }

    // layout, linker symbols
    public SectionLayout Layout { get; set; } = null!;
    public LinkerDefinedSymbols LinkerSymbols { get; set; } = null!;

    // addresses (executables with thread-local data)
    public TlsLayout? Tls { get; set; }

    // write image
    public byte[] Image { get; set; } = null!;

    // image hash: uk_image_info as stamped, for the map
    public ImageInfo.Contents? ImageInfoContents { get; set; }
}
