using System.Text;
using Unikernel.Formats;

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
    public static DiskIdentity Of(ReadOnlySpan<byte> image) => new(Sha256.Hash(image));

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

    /// <summary>HMAC-SHA256 (RFC 2104) keyed with the content hash, with our own SHA-256: the BCL's needs OpenSSL, which
    /// the static NativeAOT uk-ld that writes disks at publish cannot load.</summary>
    private void Derive(string purpose, Span<byte> destination)
    {
        const int BlockBytes = 64;
        Span<byte> innerPad = stackalloc byte[BlockBytes], outerPad = stackalloc byte[BlockBytes];
        byte[] key = _contentHash.Length > BlockBytes ? Sha256.Hash(_contentHash) : _contentHash;
        for (int i = 0; i < BlockBytes; i++)
        {
            byte k = i < key.Length ? key[i] : (byte)0;
            innerPad[i] = (byte)(k ^ 0x36);
            outerPad[i] = (byte)(k ^ 0x5C);
        }
        var inner = new Sha256();
        inner.Append(innerPad);
        inner.Append(Encoding.UTF8.GetBytes(purpose));
        var outer = new Sha256();
        outer.Append(outerPad);
        outer.Append(inner.Finish());
        outer.Finish().CopyTo(destination);
    }
}
