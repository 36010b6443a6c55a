using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker;

/// <summary>What the link produces.</summary>
public enum OutputKind
{
    /// <summary>The PVH kernel image at 1 MiB (docs/boot-abi.md); no TLS, no libc conventions.</summary>
    Kernel,
    /// <summary>A fully static Linux ET_EXEC at 0x400000 (musl crt/libc conventions, TLS, .eh_frame_hdr).</summary>
    StaticExecutable,
}

public sealed record LinkOptions
{
    /// <summary>1 MiB: the PVH loader places the image at its physical address, and low memory is the BIOS's.</summary>
    public const ulong DefaultBaseAddress = 0x100000;

    /// <summary>GNU ld's default for x86-64 executables.</summary>
    public const ulong DefaultExecutableBaseAddress = 0x400000;

    public const string DefaultEntrySymbol = "uk_pvh_entry";
    public const string DefaultExecutableEntrySymbol = "_start";

    public required string OutputPath { get; init; }
    public string? MapPath { get; init; }
    public OutputKind Kind { get; init; } = OutputKind.Kernel;
    public ulong BaseAddress { get; init; } = DefaultBaseAddress;
    public string EntrySymbol { get; init; } = DefaultEntrySymbol;

    /// <summary>Objects and archives, in command-line order.</summary>
    public required IReadOnlyList<string> InputPaths { get; init; }

    /// <summary>Index ranges of <see cref="InputPaths"/> given between --start-group and --end-group: their
    /// archives are rescanned together until no new member is pulled in.</summary>
    public IReadOnlyList<Range> ArchiveGroups { get; init; } = [];

    /// <summary>--unit/--export: the link units in command-line order, the first starting at input 0 (the
    /// implicit unit when inputs came before the first --unit). Empty: one implicit unit with every input.</summary>
    public IReadOnlyList<Model.LinkUnit> Units { get; init; } = [];

    public bool GcSections { get; init; }
    public bool PrintPassTimes { get; init; }
    /// <summary>-s: an empty .symtab (a static executable, or a kernel image: the kernel never reads it; gdb does, so
    /// the debug variant of an image is linked without -s).</summary>
    public bool StripSymbols { get; init; }

    /// <summary>--symbols-file FILE (kernel images): the function table (uk_ksyms) goes to FILE, tied to the image by its
    /// SHA-256 (formats/Host/KernelSymbolsSideFile.cs), and the image carries an empty one; the kernel's fault reports
    /// then show bare addresses, which `uk run` names from FILE. Null: the table is in the image.</summary>
    public string? SymbolsFilePath { get; init; }
    /// <summary>--build-id: None, or how the note's id is hashed (<see cref="BuildIdKind"/>).</summary>
    public BuildIdKind BuildId { get; init; }

    /// <summary>-z stack-size=BYTES (static executables only): PT_GNU_STACK's p_memsz, as GNU ld writes it. musl
    /// takes the default stack size of the threads it creates from it (when larger than its own 128 KiB, capped
    /// at 8 MiB); .NET's linux-musl builds ask for 1.5 MiB. 0: no size, musl's default.</summary>
    public ulong StackSize { get; init; }

    /// <summary>--app FILE (kernel images only): a static x86-64 ET_EXEC whose PT_LOADs are copied into the
    /// image unchanged, for the kernel to start (docs/boot-abi.md, the <c>App*</c> fields of uk_boot_info).</summary>
    public string? AppPath { get; init; }

    /// <summary>--app-name NAME (with --app; default: the app file's name): the name uk_image_info records and the
    /// kernel's boot report prints.</summary>
    public string? AppName { get; init; }

    /// <summary>--files MANIFEST (with --app): the files of the image's read-only file system (uk_files), one
    /// <c>file IMAGE-PATH HOST-PATH</c> or <c>link IMAGE-PATH TARGET</c> a line (Synthetic/ImageFiles.cs).</summary>
    public string? FilesManifestPath { get; init; }

    /// <summary>--files-time SECONDS (with --app): the modification time of every entry of uk_files, in seconds since
    /// 1970 (default 0); the SDK passes SOURCE_DATE_EPOCH when it is set.</summary>
    public uint FilesTime { get; init; }

    /// <summary>--sbom MANIFEST (with --app): write the image's CycloneDX SBOM into the section uk_sbom, which is not
    /// loaded, from this manifest (Sbom/SbomManifest.cs) and the image hash (docs/sbom.md).</summary>
    public string? SbomManifestPath { get; init; }
    /// <summary>--env-file FILE (with --app): the app's default environment, NAME=VALUE lines of a docker-style env file,
    /// written into uk_files as the kernel's environment block at /etc/uk/environ (Synthetic/ImageFiles.cs).</summary>
    public string? EnvironmentFilePath { get; init; }

    /// <summary>With --app: compress the app's segments and uk_image_info/uk_ksyms/uk_files into the payload the kernel
    /// expands at boot (Compression/PayloadWriter.cs): uk-ld --compress. Off by default: expanding costs the boot more
    /// than the bytes save where the image is booted from its file (docs/benchmarks.md, "Compressed images").</summary>
    public bool Compress { get; init; }

    /// <summary>With --app: pack the image's files into LZ4 blocks the kernel expands when a file in one is first read
    /// (formats/UkFilesFormat.cs, "Packed files"); <c>--no-pack-files</c> stores them as they are.</summary>
    public bool PackFiles { get; init; } = true;

    /// <summary>--time-zones-if-read (with --app): the --files entries under /usr/share/zoneinfo and at /etc/localtime
    /// stay out of the image when the app's code cannot read them (Synthetic/TimeZoneFiles.cs).</summary>
    public bool TimeZonesIfRead { get; init; }

    /// <summary>--app-version VERSION (with --app; default <c>unknown</c>): the version uk_image_info records.</summary>
    public string? AppVersion { get; init; }

    /// <summary>--defsym NAME=TARGET: NAME, where referenced and not defined, gets TARGET's address.
    /// TARGET must be defined by the inputs (an alias does not pull archive members by itself).</summary>
    public IReadOnlyList<(string Name, string Target)> SymbolAliases { get; init; } = [];
}
