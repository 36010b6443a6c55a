using System.Security.Cryptography;
using System.Text;

namespace Unikernel.Disk;

/// <summary>
/// Everything a disk format would otherwise take from the clock or a random source (GUIDs, UUIDs, timestamps, serial
/// numbers), derived from the content hash of the image the disk carries: the same image gives the same disk bytes.
/// </summary>
public sealed class DiskIdentity
{
    private readonly byte[] _contentHash;

    public DiskIdentity(ReadOnlySpan<byte> contentHash)
    {
        if (contentHash.Length < 16) throw new ArgumentException("a content hash has at least 16 bytes", nameof(contentHash));
        _contentHash = contentHash.ToArray();
    }

    /// <summary>The identity of a disk holding <paramref name="image"/> (SHA-256 of its bytes).</summary>
    public static DiskIdentity Of(ReadOnlySpan<byte> image) => new(SHA256.HashData(image));

    public ReadOnlySpan<byte> ContentHash => _contentHash;

    /// <summary>A version-4-shaped GUID for <paramref name="purpose"/> (e.g. "gpt-disk", "esp-partition"): stable for
    /// this content, different for each purpose.</summary>
    public Guid Guid(string purpose)
    {
        Span<byte> bytes = stackalloc byte[32];
        Derive(purpose, bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes[..16]);
    }

    /// <summary>A 32-bit value for <paramref name="purpose"/> (volume serial numbers, disk signatures, CIDs).</summary>
    public uint Number(string purpose)
    {
        Span<byte> bytes = stackalloc byte[32];
        Derive(purpose, bytes);
        return BitConverter.ToUInt32(bytes);
    }

    /// <summary>The time every format that records one gets: fixed, so a rebuild gives the same bytes (2000-01-01, the
    /// VHD epoch and inside FAT's range).</summary>
    public static DateTime Timestamp => new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private void Derive(string purpose, Span<byte> destination)
        => HMACSHA256.HashData(_contentHash, Encoding.UTF8.GetBytes(purpose), destination);
}
