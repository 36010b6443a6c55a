using System.Runtime.InteropServices;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Input;

/// <summary>
/// One PT_LOAD of the app: where its bytes are in the app's file, where it goes in memory, and (once
/// <see cref="AppExecutable.AssignOutputOffsets"/> ran) where its bytes sit in the image file.
/// </summary>
public sealed class AppSegment
{
    /// <summary>Index in the app's program header table: what error messages and the map call it.</summary>
    public required int HeaderIndex { get; init; }
    public required uint Flags { get; init; }
    public required ulong FileOffset { get; init; }
    public required ulong VirtualAddress { get; init; }
    public required ulong FileSize { get; init; }
    public required ulong MemorySize { get; init; }
    public ulong OutputOffset { get; internal set; }

    public ulong End => VirtualAddress + MemorySize;
    public ulong PageStart => VirtualAddress & ~(Layout.SectionLayout.PageSize - 1);
    public ulong PageEnd => Layout.SectionLayout.AlignUp(End, Layout.SectionLayout.PageSize);

    public string FlagsText => string.Concat((Flags & PF_R) != 0 ? "R" : "-", (Flags & PF_W) != 0 ? "W" : "-",
        (Flags & PF_X) != 0 ? "X" : "-");
}

/// <summary>An STT_FUNC symbol of the app's .symtab, at its final (ET_EXEC) address.</summary>
public readonly record struct AppFunction(ulong Address, ulong Size, string Name);

/// <summary>
/// The static executable given with <c>--app</c>: read and checked before anything is laid out, so a bad
/// file is an error naming the file and the program header at fault, never an image the kernel cannot
/// start. What is checked is what the kernel's loader and QEMU's PVH loader rely on: an x86-64 ET_EXEC with
/// no interpreter or dynamic section; PT_LOADs with consistent page alignment, in ascending order, not
/// sharing pages, inside [4 MiB, 2 GiB) (<see cref="Layout.KernelAddressSpace"/>: below is the kernel image, and the
/// app is small-code-model code); the program headers inside the first PT_LOAD's
/// file data (so the kernel can give the app AT_PHDR, as Linux does); the entry in an executable PT_LOAD.
/// The segments are copied into the image verbatim; the app is never relinked.
/// </summary>
public sealed class AppExecutable
{
    /// <summary>uk_ksyms names of the app's functions: the app's own names may clash with the kernel's.</summary>
    public const string SymbolPrefix = KernelSymbolsFormat.AppPrefix;

    public const ulong LowestAddress = Layout.KernelAddressSpace.AppStart;
    public const ulong AddressLimit = Layout.KernelAddressSpace.AppLimit;
    private const ulong PageSize = Layout.SectionLayout.PageSize;

    private readonly byte[] _bytes;

    private AppExecutable(string path, byte[] bytes, List<AppSegment> segments)
    {
        Path = path;
        _bytes = bytes;
        Segments = segments;
    }

    /// <summary>As given on the command line.</summary>
    public string Path { get; }
    public IReadOnlyList<AppSegment> Segments { get; }
    public ulong Entry { get; private init; }

    /// <summary>The address of the program header table in the app's memory (AT_PHDR).</summary>
    public ulong ProgramHeaders { get; private init; }
    public ulong ProgramHeaderCount { get; private init; }

    /// <summary>Lowest PT_LOAD address, page aligned down.</summary>
    public ulong Start => Segments[0].PageStart;

    /// <summary>End of the highest PT_LOAD (p_vaddr + p_memsz), page aligned up.</summary>
    public ulong End => Segments[^1].PageEnd;

    /// <summary>Empty when the app has no .symtab (stripped) or no function symbols.</summary>
    public IReadOnlyList<AppFunction> Functions { get; private init; } = [];

    /// <summary>The names of every function symbol, aliases included; empty when the app is stripped.</summary>
    public IReadOnlySet<string> FunctionNames { get; private init; } = new HashSet<string>();

    /// <summary>After <see cref="AssignOutputOffsets"/>: where the last segment's bytes end in the image file.</summary>
    public ulong OutputEnd { get; private set; }

    public ReadOnlySpan<byte> Contents(AppSegment segment) =>
        _bytes.AsSpan(checked((int)segment.FileOffset), checked((int)segment.FileSize));

    public static AppExecutable Read(string path)
    {
        if (path.Length == 0)
            throw new LinkerException("--app names no file (an empty path)");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new LinkerException($"cannot read app: {error.Message}", file: path);
        }
        return Read(path, bytes);
    }

    public static AppExecutable Read(string path, byte[] bytes)
    {
        try
        {
            return Parse(path, bytes);
        }
        catch (LinkerException)
        {
            throw;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Every read is bounds-checked first; this backstop keeps "a corrupt app is a linker error" true
            // should a check ever be missing (as the object parser does).
            throw new LinkerException($"corrupt app: {error.Message}", file: path);
        }
    }

    private static AppExecutable Parse(string path, byte[] bytes)
    {
        ReadOnlySpan<byte> image = bytes;
        CheckIdentity(path, image);
        var file = MemoryMarshal.Read<Elf64Header>(image);
        ulong entry = file.Entry;
        ulong headerOffset = file.ProgramHeaderOffset;
        ushort headerSize = file.ProgramHeaderEntrySize;
        ushort headerCount = file.ProgramHeaderCount;

        if (headerCount == 0)
            throw new LinkerException("app has no program headers: not a loadable executable", file: path);
        // PN_XNUM (the count lives in section 0) is for files with 65535+ headers; no static executable has them.
        if (headerCount == 0xffff)
            throw new LinkerException("app has too many program headers (PN_XNUM)", file: path);
        if (headerSize != ProgramHeaderSize)
            throw new LinkerException($"app's program headers are {headerSize} bytes each, expected {ProgramHeaderSize} (ELF64)",
                file: path);
        ulong tableBytes = (ulong)headerCount * ProgramHeaderSize;
        if (headerOffset > (ulong)image.Length || tableBytes > (ulong)image.Length - headerOffset)
            throw new LinkerException($"app's program header table (file offset 0x{headerOffset:x}, {headerCount} entries) " +
                $"extends past the end of the file (0x{image.Length:x} bytes)", file: path);

        var segments = new List<AppSegment>();
        for (int i = 0; i < headerCount; i++)
        {
            var header = MemoryMarshal.Read<Elf64ProgramHeader>(image.Slice((int)headerOffset + i * ProgramHeaderSize, ProgramHeaderSize));
            uint type = header.Type;
            string where = $"program header {i}";
            if (type == PT_INTERP)
                throw new LinkerException("app is dynamically linked (PT_INTERP names a program interpreter); " +
                    "link it as a static executable (uk-ld -static)", file: path, section: where);
            if (type == PT_DYNAMIC)
                throw new LinkerException("app has a dynamic section (PT_DYNAMIC): a static-pie or dynamic executable; " +
                    "link it as a static executable (uk-ld -static)", file: path, section: where);
            if (type != PT_LOAD)
                continue;
            var segment = new AppSegment
            {
                HeaderIndex = i,
                Flags = header.Flags,
                FileOffset = header.Offset,
                VirtualAddress = header.VirtualAddress,
                FileSize = header.FileSize,
                MemorySize = header.MemorySize,
            };
            ulong alignment = header.Alignment;
            CheckSegment(path, where, segment, alignment, (ulong)image.Length, segments.Count == 0 ? null : segments[^1]);
            segments.Add(segment);
        }
        if (segments.Count == 0)
            throw new LinkerException("app has no PT_LOAD segments: nothing to load", file: path);

        // The kernel hands the app AT_PHDR: the headers must be in memory, i.e. in the first PT_LOAD's file data
        // (where every static linker puts them when it maps the ELF header).
        var first = segments[0];
        if (headerOffset < first.FileOffset || headerOffset + tableBytes > first.FileOffset + first.FileSize)
            throw new LinkerException($"app's program headers (file offset 0x{headerOffset:x}, 0x{tableBytes:x} bytes) are not " +
                $"inside the first PT_LOAD's file data (offset 0x{first.FileOffset:x}, 0x{first.FileSize:x} bytes), so they " +
                "would not be in memory for the kernel to pass as AT_PHDR", file: path, section: $"program header {first.HeaderIndex}");

        if (!segments.Exists(s => (s.Flags & PF_X) != 0 && entry >= s.VirtualAddress && entry < s.End))
            throw new LinkerException($"app's entry point 0x{entry:x} is not inside an executable PT_LOAD", file: path);

        var names = new HashSet<string>(StringComparer.Ordinal);
        var functions = AppSymbols.ReadFunctions(path, image, segments, names);
        return new AppExecutable(path, bytes, segments)
        {
            Entry = entry,
            ProgramHeaders = first.VirtualAddress + (headerOffset - first.FileOffset),
            ProgramHeaderCount = headerCount,
            Functions = functions,
            FunctionNames = names,
        };
    }

    private static void CheckIdentity(string path, ReadOnlySpan<byte> image)
    {
        if (image.Length < 4 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new LinkerException("app is not an ELF file", file: path);
        if (image.Length < ElfHeaderSize)
            throw new LinkerException("app has a truncated ELF header", file: path);
        if (image[EI_CLASS] != ELFCLASS64)
            throw new LinkerException("app is not a 64-bit ELF file (ELFCLASS32)", file: path);
        if (image[EI_DATA] != ELFDATA2LSB)
            throw new LinkerException("app is not a little-endian ELF file", file: path);
        var file = MemoryMarshal.Read<Elf64Header>(image);
        ushort type = file.Type, machine = file.Machine;
        if (machine != EM_X86_64)
            throw new LinkerException($"app is for the wrong machine {ElfObjectParser.MachineName(machine)} ({machine}), " +
                "expected EM_X86_64", file: path);
        if (type != ET_EXEC)
        {
            string hint = type == ET_REL ? " (an object file: link it first, uk-ld -static)"
                : type == 3 ? " (a position-independent executable or shared library; link with -static, no -pie)"
                : "";
            throw new LinkerException($"app is not a static executable: {ElfObjectParser.FileTypeName(type)}{hint}, expected ET_EXEC",
                file: path);
        }
    }

    private static void CheckSegment(string path, string where, AppSegment segment, ulong alignment, ulong fileLength,
        AppSegment? previous)
    {
        ulong address = segment.VirtualAddress;
        if (segment.MemorySize == 0)
            throw new LinkerException($"PT_LOAD at 0x{address:x} is empty (p_memsz 0)", file: path, section: where);
        if (segment.FileSize > segment.MemorySize)
            throw new LinkerException($"PT_LOAD at 0x{address:x} has p_filesz 0x{segment.FileSize:x} larger than " +
                $"p_memsz 0x{segment.MemorySize:x}", file: path, section: where);
        if (segment.FileOffset > fileLength || segment.FileSize > fileLength - segment.FileOffset)
            throw new LinkerException($"PT_LOAD at 0x{address:x}: its file data (offset 0x{segment.FileOffset:x}, " +
                $"0x{segment.FileSize:x} bytes) extends past the end of the file (0x{fileLength:x} bytes)", file: path, section: where);
        // gABI: p_vaddr == p_offset modulo p_align; a loader maps pages, so p_align must be whole pages.
        if (alignment < PageSize || (alignment & (alignment - 1)) != 0)
            throw new LinkerException($"PT_LOAD at 0x{address:x} has p_align 0x{alignment:x}, expected a power of two " +
                $"of at least the page size (0x{PageSize:x})", file: path, section: where);
        if (address % alignment != segment.FileOffset % alignment)
            throw new LinkerException($"PT_LOAD at 0x{address:x} is not page aligned consistently: p_vaddr and p_offset " +
                $"(0x{segment.FileOffset:x}) differ modulo p_align (0x{alignment:x})", file: path, section: where);
        if (address < LowestAddress)
            throw new LinkerException($"PT_LOAD at 0x{address:x} lies below 4 MiB (0x{LowestAddress:x}), where the kernel " +
                "image is: an app's segments must lie in [4 MiB, 2 GiB) (link it at 0x400000, the default)", file: path,
                section: where);
        if (address > AddressLimit || segment.MemorySize > AddressLimit - address)
            throw new LinkerException($"PT_LOAD at 0x{address:x} (0x{segment.MemorySize:x} bytes) ends above 2 GiB " +
                $"(0x{AddressLimit:x}): an app's segments must lie in [4 MiB, 2 GiB), the range the kernel runs " +
                "small-code-model apps in", file: path, section: where);
        if (previous is not null && segment.PageStart < previous.PageEnd)
            throw new LinkerException($"PT_LOAD at 0x{address:x} starts inside or below the pages of program header " +
                $"{previous.HeaderIndex} (0x{previous.VirtualAddress:x}-0x{previous.End:x}): PT_LOADs must come in ascending " +
                "address order and not share pages", file: path, section: where);
    }

    /// <summary>
    /// Places each segment's bytes after <paramref name="fileEnd"/> at a file offset congruent to its address
    /// modulo the page size (so the image's own p_align of one page holds, as for the kernel's segments).
    /// Each segment gets its own bytes, even where two of the app's segments shared a file page.
    /// </summary>
    public void AssignOutputOffsets(ulong fileEnd)
    {
        ulong cursor = fileEnd;
        foreach (var segment in Segments)
        {
            ulong offset = (cursor & ~(PageSize - 1)) + segment.VirtualAddress % PageSize;
            if (offset < cursor)
                offset += PageSize;
            segment.OutputOffset = offset;
            cursor = offset + segment.FileSize;
        }
        OutputEnd = cursor;
    }
}
