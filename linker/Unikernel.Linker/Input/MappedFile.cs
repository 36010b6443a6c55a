using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Unikernel.Linker.Input;

/// <summary>
/// An input object mapped read-only instead of read into an array: the kernel hands out page-cache pages
/// as the parser touches them, with no copy and no zeroed anonymous memory (reading the 49 MB object of an
/// ASP.NET Core app into an array was a sixth of a link's CPU time). Debug sections, most of such a file,
/// are never touched at all. The mapping lives as long as anything refers to it: symbol names are views of
/// it (<see cref="Model.SymbolName"/>).
/// </summary>
public sealed unsafe class MappedFile
{
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _start;

    private MappedFile(MemoryMappedViewAccessor view, byte* start, int length)
    {
        _view = view;
        _start = start;
        Length = length;
    }

    // Whatever still refers to the mapping keeps this object alive; once nothing does, the pointer taken in
    // TryMap is given back so that the view can be unmapped (a test run links thousands of times).
    ~MappedFile()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => new(_start, Length);

    public ReadOnlySpan<byte> Slice(int offset, int length)
    {
        if ((uint)offset > (uint)Length || (uint)length > (uint)(Length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset));
        return new ReadOnlySpan<byte>(_start + offset, length);
    }

    /// <summary>Bytes of an input, whose owner is a mapped file or, for inputs that could not be mapped, a byte[]
    /// (null: the empty view). Names, section contents and relocation tables all stay views like this.</summary>
    public static ReadOnlySpan<byte> View(object? owner, int offset, int length) => owner is MappedFile mapped
        ? mapped.Slice(offset, length)
        : new ReadOnlySpan<byte>((byte[]?)owner, offset, length);

    /// <summary>Maps the file behind <paramref name="handle"/> (which this takes over), or returns null when it
    /// cannot be mapped (empty, or larger than an array could hold) and must be read instead.</summary>
    public static MappedFile? TryMap(SafeFileHandle handle, long length)
    {
        if (length <= 0 || length > Array.MaxLength)
            return null;
        var mapping = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None,
            leaveOpen: false);
        var view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        // The view holds its own reference to the mapping; the mapping object itself is no longer needed.
        mapping.Dispose();
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        return new MappedFile(view, start + view.PointerOffset, (int)length);
    }
}
