using System.Runtime.InteropServices;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Formats
{
    /// <summary>A compressed image's payload as the host reads it: where it is in the file and memory, its header and
    /// its regions (each an image PT_LOAD whose bytes it carries).</summary>
    internal sealed record UkPayloadInfo(int ProgramHeaderIndex, ulong FileOffset, ulong Address, UkPayloadHeader Header,
        IReadOnlyList<UkPayloadRegion> Regions)
    {
        public ulong ExpandedBytes => Regions.Aggregate(0UL, (sum, region) => sum + region.FileSize);
    }

    /// <summary>
    /// The host's side of <see cref="UkPayloadFormat"/>: finds a compressed image's payload (the PT_LOAD whose bytes start
    /// with its magic) and undoes the compression exactly, so that `uk` and the tests read a compressed image as the
    /// uncompressed one it was made from (same bytes, same image hash). The linker's compress pass is the other half
    /// (linker/Unikernel.Linker/Compression/PayloadWriter.cs).
    /// </summary>
    internal static unsafe class UkPayloadCodec
    {
        /// <summary>Null when the image carries no payload (an uncompressed image, or not an image of ours).</summary>
        public static UkPayloadInfo? Find(ReadOnlySpan<byte> image)
        {
            if (image.Length < ElfHeaderSize || MemoryMarshal.Read<Elf64Header>(image).Magic != ELFMAG) return null;
            var elf = MemoryMarshal.Read<Elf64Header>(image);
            for (int i = 0; i < elf.ProgramHeaderCount; i++)
            {
                ulong at = elf.ProgramHeaderOffset + (ulong)(i * ProgramHeaderSize);
                if (at + ProgramHeaderSize > (ulong)image.Length) return null;
                var header = MemoryMarshal.Read<Elf64ProgramHeader>(image[(int)at..]);
                if (header.Type != PT_LOAD || header.FileSize < UkPayloadFormat.HeaderSize || header.Offset > (ulong)image.Length
                    || header.FileSize > (ulong)image.Length - header.Offset)
                    continue;
                var payload = image.Slice((int)header.Offset, (int)header.FileSize);
                var top = MemoryMarshal.Read<UkPayloadHeader>(payload);
                if (top.Magic != UkPayloadFormat.Magic) continue;
                return new UkPayloadInfo(i, header.Offset, header.VirtualAddress, top, ReadRegions(payload, top));
            }
            return null;
        }

        private static List<UkPayloadRegion> ReadRegions(ReadOnlySpan<byte> payload, UkPayloadHeader header)
        {
            if (header.Size != (ulong)payload.Length || header.RegionSize < UkPayloadFormat.RegionSize
                || header.RegionsOffset < UkPayloadFormat.HeaderSize
                || (ulong)header.RegionsOffset + (ulong)header.RegionCount * header.RegionSize > (ulong)payload.Length)
                throw new InvalidDataException($"{UkPayloadFormat.SectionName}: its header (size {header.Size}, {header.RegionCount} " +
                    $"regions at {header.RegionsOffset}) does not fit its {payload.Length} bytes");
            if (header.Codec != UkPayloadFormat.CodecLz4Block)
                throw new InvalidDataException($"{UkPayloadFormat.SectionName}: unknown codec {header.Codec}");
            var regions = new List<UkPayloadRegion>();
            for (int i = 0; i < header.RegionCount; i++)
            {
                var region = MemoryMarshal.Read<UkPayloadRegion>(payload[(int)(header.RegionsOffset + i * header.RegionSize)..]);
                if ((ulong)region.DataOffset + region.DataSize > (ulong)payload.Length || region.FileSize > region.MemorySize)
                    throw new InvalidDataException($"{UkPayloadFormat.SectionName}: region {i} (0x{region.Address:x}) has its block " +
                        $"at {region.DataOffset}+{region.DataSize} of {payload.Length} bytes, or p_filesz above p_memsz");
                regions.Add(region);
            }
            return regions;
        }

        /// <summary><see cref="Lz4BlockDecoder.Decode"/> over spans: the bytes written, or -1 - the offset of the sequence
        /// at fault.</summary>
        public static long DecodeBlock(ReadOnlySpan<byte> block, Span<byte> output)
        {
            fixed (byte* source = block)
            fixed (byte* destination = output)
                return Lz4BlockDecoder.Decode(source, (ulong)block.Length, destination, (ulong)output.Length);
        }

        /// <summary>One region's bytes, expanded.</summary>
        public static byte[] ExpandRegion(ReadOnlySpan<byte> image, UkPayloadInfo payload, int index)
        {
            var region = payload.Regions[index];
            var block = image.Slice(checked((int)(payload.FileOffset + region.DataOffset)), (int)region.DataSize);
            var bytes = new byte[checked((int)region.FileSize)];
            long written = DecodeBlock(block, bytes);
            if (written != bytes.Length)
                throw new InvalidDataException(written < 0
                    ? $"{UkPayloadFormat.SectionName}: region {index} (0x{region.Address:x}) is corrupt at byte {-1 - written} of its block"
                    : $"{UkPayloadFormat.SectionName}: region {index} (0x{region.Address:x}) expands to {written} bytes, not {bytes.Length}");
            return bytes;
        }

        /// <summary>The uncompressed image a compressed one was made from, byte for byte; the image itself without a
        /// payload. InvalidDataException names what does not fit.</summary>
        public static byte[] Expand(byte[] image)
        {
            if (Find(image) is not { } payload) return image;
            var header = payload.Header;
            ulong tail = header.TailOffset, originalTail = header.OriginalTailOffset;
            if (tail > (ulong)image.Length || tail < payload.FileOffset + header.Size)
                throw new InvalidDataException($"{UkPayloadFormat.SectionName}: its tail offset 0x{tail:x} is outside the file");
            ulong cut = payload.Regions.Count == 0 ? payload.FileOffset : payload.Regions.Min(r => r.OriginalFileOffset);
            cut = Math.Min(cut, payload.FileOffset);
            ulong length = originalTail + ((ulong)image.Length - tail);
            if (length > int.MaxValue || cut > originalTail)
                throw new InvalidDataException($"{UkPayloadFormat.SectionName}: the expanded image would be 0x{length:x} bytes");
            var output = new byte[length];
            image.AsSpan(0, (int)cut).CopyTo(output);
            image.AsSpan((int)tail).CopyTo(output.AsSpan((int)originalTail));
            for (int i = 0; i < payload.Regions.Count; i++)
            {
                var region = payload.Regions[i];
                if (region.OriginalFileOffset < cut || region.OriginalFileOffset + region.FileSize > originalTail)
                    throw new InvalidDataException($"{UkPayloadFormat.SectionName}: region {i} (0x{region.Address:x}) was at file offset " +
                        $"0x{region.OriginalFileOffset:x}, outside the loaded part of the file");
                ExpandRegion(image, payload, i).CopyTo(output.AsSpan((int)region.OriginalFileOffset));
            }
            RestoreHeaders(output, payload, (long)originalTail - (long)tail);
            return output;
        }

        private static void RestoreHeaders(byte[] output, UkPayloadInfo payload, long shift)
        {
            var elf = MemoryMarshal.Read<Elf64Header>(output);
            // Program headers: the payload's goes, the regions' get their file bytes back.
            int count = elf.ProgramHeaderCount;
            var table = output.AsSpan((int)elf.ProgramHeaderOffset, count * ProgramHeaderSize);
            table[((payload.ProgramHeaderIndex + 1) * ProgramHeaderSize)..].CopyTo(table[(payload.ProgramHeaderIndex * ProgramHeaderSize)..]);
            table[((count - 1) * ProgramHeaderSize)..].Clear();
            count--;
            for (int i = 0; i < count; i++)
            {
                var span = table[(i * ProgramHeaderSize)..];
                var header = MemoryMarshal.Read<Elf64ProgramHeader>(span);
                if (header.Type != PT_LOAD) continue;
                foreach (var region in payload.Regions)
                {
                    if (region.Address != header.VirtualAddress) continue;
                    header.Offset = region.OriginalFileOffset;
                    header.FileSize = region.FileSize;
                    MemoryMarshal.Write(span, in header);
                }
            }
            elf.ProgramHeaderCount = (ushort)count;
            elf.SectionHeaderOffset = (ulong)((long)elf.SectionHeaderOffset + shift);
            MemoryMarshal.Write(output, in elf);

            // Section headers: the non-loaded tail moves back; sections inside a region are file-backed again.
            for (int i = 0; i < elf.SectionCount; i++)
            {
                var span = output.AsSpan((int)elf.SectionHeaderOffset + i * SectionHeaderSize, SectionHeaderSize);
                var section = MemoryMarshal.Read<Elf64SectionHeader>(span);
                if ((long)section.Offset >= (long)payload.Header.TailOffset && (section.Flags & SHF_ALLOC) == 0 && section.Type != SHT_NULL)
                    section.Offset = (ulong)((long)section.Offset + shift);
                else if (section.Type == SHT_NOBITS && InRegion(payload.Regions, section.Address, section.Size))
                    section.Type = SHT_PROGBITS;
                MemoryMarshal.Write(span, in section);
            }
        }

        /// <summary>Whether [address, address + size) lies in a region's file-backed bytes.</summary>
        public static bool InRegion(IReadOnlyList<UkPayloadRegion> regions, ulong address, ulong size)
        {
            foreach (var region in regions)
                if (address >= region.Address && address + size <= region.Address + region.FileSize) return true;
            return false;
        }
    }
}
