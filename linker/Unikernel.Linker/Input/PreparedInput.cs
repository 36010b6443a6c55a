using System.Runtime.ExceptionServices;
using Unikernel.Linker.Model;

namespace Unikernel.Linker.Input;

/// <summary>
/// An input read (and, for an object, parsed) ahead of the loader, possibly on another thread. A failure
/// is kept rather than thrown, and rethrown only when the loader reaches the input in command-line order:
/// so the error reported is always the first one a sequential link would hit, and a failing archive
/// member that the link never asks for is never reported.
/// </summary>
internal sealed class PreparedInput
{
    private readonly InputFile? _object;
    private readonly Archive? _archive;
    private readonly ExceptionDispatchInfo? _failure;

    private PreparedInput(InputFile? @object, Archive? archive, ExceptionDispatchInfo? failure)
    {
        _object = @object;
        _archive = archive;
        _failure = failure;
    }

    /// <summary>Reads a command-line input, mapped (see <see cref="MappedFile"/>): an archive's symbol index, or a
    /// whole object.</summary>
    public static PreparedInput FromPath(string path) => Capture(() =>
    {
        if (path.Length == 0)
            throw new LinkerException("an input file name is empty");
        MappedFile? mapped = null;
        byte[]? bytes = null;
        try
        {
            var handle = File.OpenHandle(path);
            long length = RandomAccess.GetLength(handle);
            mapped = MappedFile.TryMap(handle, length);
            if (mapped is null)
            {
                using (handle)
                    bytes = ReadAll(handle, length);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new LinkerException($"cannot read input: {error.Message}", file: path);
        }
        if (mapped is not null)
            return ArchiveReader.IsArchive(mapped.Span)
                ? new PreparedInput(null, ArchiveReader.Read(path, mapped), null)
                : new PreparedInput(ElfObjectParser.Read(path, 0, mapped), null, null);
        return ArchiveReader.IsArchive(bytes!)
            ? new PreparedInput(null, ArchiveReader.Read(path, bytes!), null)
            : new PreparedInput(ElfObjectParser.Read(path, 0, bytes!, 0, bytes!.Length), null, null);
    });

    private static byte[] ReadAll(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length)
    {
        if (length > Array.MaxLength)
            throw new IOException($"file is too large ({length} bytes)");
        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        int done = 0;
        while (done < bytes.Length)
        {
            int read = RandomAccess.Read(handle, bytes.AsSpan(done), done);
            if (read == 0)
                throw new IOException("file shrank while being read");
            done += read;
        }
        return bytes;
    }

    public static PreparedInput FromMember(Archive archive, ArchiveMember member) => Capture(() =>
        new PreparedInput(ElfObjectParser.Read(archive.MemberPath(member), 0, archive, member), null, null));

    /// <summary>Every failure is deferred, not only linker errors: rethrown through ExceptionDispatchInfo it
    /// keeps its type and stack instead of arriving wrapped in Parallel.For's AggregateException.</summary>
    private static PreparedInput Capture(Func<PreparedInput> prepare)
    {
        try
        {
            return prepare();
        }
        catch (Exception error)
        {
            return new PreparedInput(null, null, ExceptionDispatchInfo.Capture(error));
        }
    }

    /// <summary>The parsed object, or null when the input is an archive; throws the deferred failure.</summary>
    public InputFile? Object
    {
        get
        {
            _failure?.Throw();
            return _object;
        }
    }

    /// <summary>The archive, or null when the input is an object or failed to read (the failure waits for its turn).</summary>
    public Archive? ArchiveIfRead => _archive;

    public Archive Archive
    {
        get
        {
            _failure?.Throw();
            return _archive!;
        }
    }
}
