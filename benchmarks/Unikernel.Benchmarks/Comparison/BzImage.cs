using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// Extracts the ELF vmlinux from a Linux bzImage: the setup header (Documentation/arch/x86/boot.rst) says
/// where the compressed kernel lies (payload_offset/payload_length, boot protocol 2.08+, relative to the
/// protected-mode code after the setup sectors); the payload is decompressed with our own LZ4 decoder
/// (Debian's cloud kernel: LZ4 legacy frame, uncompressed size in the last 4 bytes) or
/// System.IO.Compression (gzip). The result is what QEMU's -kernel boots through the PVH entry note,
/// skipping the bzImage's real-mode setup and self-decompression.
/// </summary>
public static class BzImage
{
    public sealed record Payload(string Format, int Offset, int Length);

    public static Payload FindPayload(ReadOnlySpan<byte> bzImage)
    {
        if (bzImage.Length < 0x250 || Encoding.ASCII.GetString(bzImage.Slice(0x202, 4)) != "HdrS")
            throw new InvalidDataException("not a bzImage (no 'HdrS' setup header at 0x202)");
        int version = BinaryPrimitives.ReadUInt16LittleEndian(bzImage[0x206..]);
        if (version < 0x208) throw new InvalidDataException($"boot protocol {version >> 8}.{version & 0xff} has no payload fields (2.08+)");
        int setupSectors = bzImage[0x1f1] == 0 ? 4 : bzImage[0x1f1];
        int protectedMode = (setupSectors + 1) * 512;
        int offset = protectedMode + (int)BinaryPrimitives.ReadUInt32LittleEndian(bzImage[0x248..]);
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bzImage[0x24c..]);
        if (offset + length > bzImage.Length) throw new InvalidDataException("the payload runs past the end of the bzImage");
        var head = bzImage.Slice(offset, 6);
        string format = head switch
        {
            [0x02, 0x21, 0x4c, 0x18, ..] => "lz4",
            [0x1f, 0x8b, ..] => "gzip",
            [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] => "xz",
            [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd",
            [0x42, 0x5a, 0x68, ..] => "bzip2",
            [0x89, 0x4c, 0x5a, 0x4f, ..] => "lzo",
            [0x5d, 0x00, 0x00, ..] => "lzma",
            [0x7f, 0x45, 0x4c, 0x46, ..] => "none",
            _ => "unknown",
        };
        return new Payload(format, offset, length);
    }

    public static byte[] ExtractVmlinux(byte[] bzImage)
    {
        var payload = FindPayload(bzImage);
        var data = bzImage.AsSpan(payload.Offset, payload.Length);
        byte[] vmlinux = payload.Format switch
        {
            // The kernel build appends the uncompressed size (little-endian 32 bits) to every payload.
            "lz4" => Lz4Legacy.Decompress(data[..^4], (int)BinaryPrimitives.ReadUInt32LittleEndian(data[^4..])),
            "gzip" => Gunzip(bzImage, payload),
            "none" => data.ToArray(),
            _ => throw new NotSupportedException($"the bzImage's payload is {payload.Format}-compressed; this extractor reads lz4 and gzip (boot the bzImage itself instead)"),
        };
        if (vmlinux.Length < 64 || BinaryPrimitives.ReadUInt32BigEndian(vmlinux) != 0x7f454c46)
            throw new InvalidDataException("the decompressed payload is not an ELF file");
        if (!HasPvhNote(vmlinux))
            throw new InvalidDataException("the vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): QEMU cannot boot it with -kernel");
        return vmlinux;
    }

    private static byte[] Gunzip(byte[] bzImage, Payload payload)
    {
        using var gzip = new GZipStream(new MemoryStream(bzImage, payload.Offset, payload.Length), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Whether a PT_NOTE segment holds a "Xen" note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY), the PVH entry point.</summary>
    public static bool HasPvhNote(ReadOnlySpan<byte> elf)
    {
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x20..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x36..]);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x38..]);
        for (int i = 0; i < phnum; i++)
        {
            var ph = elf[((int)phoff + i * phentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 4) continue;                 // PT_NOTE
            int at = (int)BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            int end = at + (int)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            while (at + 12 <= end)
            {
                int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[at..]);
                int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(elf[(at + 4)..]);
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(elf[(at + 8)..]);
                var name = elf.Slice(at + 12, Math.Max(0, nameSize - 1));
                if (type == 18 && name.SequenceEqual("Xen"u8)) return true;
                at += 12 + ((nameSize + 3) & ~3) + ((descSize + 3) & ~3);
            }
        }
        return false;
    }
}
