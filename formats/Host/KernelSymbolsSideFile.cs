namespace Unikernel.Formats;

/// <summary>
/// The function table beside the image (uk-ld <c>--symbols-file</c>, by default <c>IMAGE.syms</c>): the magic
/// <c>UKSYMS</c>, a NUL, the version byte 1, the SHA-256 of the image file it belongs to, then a whole <c>uk_ksyms</c>
/// table (<see cref="KernelSymbolsCodec"/>). The image itself then carries an empty <c>uk_ksyms</c>, so the kernel prints
/// bare addresses and the host (<c>uk run</c>, <c>uk inspect</c>, <c>uk symbolize</c>) names them. The hash ties the
/// two files together: a table of another build would name the wrong functions, so a mismatch is refused, not guessed.
/// </summary>
internal static class KernelSymbolsSideFile
{
    public const string Suffix = ".syms";
    public const int HeaderSize = 8 + Sha256.HashSize;

    private static ReadOnlySpan<byte> Magic => "UKSYMS\0\u0001"u8;

    /// <summary>Where the side file of <paramref name="imagePath"/> is by default.</summary>
    public static string PathFor(string imagePath) => imagePath + Suffix;

    public static byte[] Encode(ReadOnlySpan<byte> image, ReadOnlySpan<byte> table)
    {
        var data = new byte[HeaderSize + table.Length];
        Magic.CopyTo(data);
        HashOf(image).CopyTo(data.AsSpan(Magic.Length));
        table.CopyTo(data.AsSpan(HeaderSize));
        return data;
    }

    public static byte[] HashOf(ReadOnlySpan<byte> image)
    {
        var sha = new Sha256();
        sha.Append(image);
        return sha.Finish();
    }

    /// <summary>
    /// The functions of a side file that belongs to the image whose SHA-256 is <paramref name="imageHash"/>; null and
    /// the reason (one line, without the file's name) when the bytes are not a side file or belong to another image.
    /// </summary>
    public static IReadOnlyList<KernelSymbolsFunction>? Decode(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> imageHash, out string? problem)
    {
        problem = null;
        if (bytes.Length < HeaderSize || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            problem = "not a uk-ld symbols file (no UKSYMS header)";
            return null;
        }
        if (!bytes.Slice(Magic.Length, Sha256.HashSize).SequenceEqual(imageHash))
        {
            problem = "belongs to another build of the image (its image hash differs): relink, or give the matching file";
            return null;
        }
        var functions = KernelSymbolsCodec.Decode(bytes[HeaderSize..]);
        if (functions is null) problem = $"its function table (from offset {HeaderSize}) is not a whole uk_ksyms table";
        return functions;
    }
}
