using System.Runtime.InteropServices;
using Unikernel.Formats;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Compression;

/// <summary>
/// The <c>compress</c> pass (docs/boot-abi.md, "The compressed payload"): turns a finished image with an app into one
/// whose PT_LOADs from the app's window up (the app's segments, then uk_image_info + uk_ksyms + uk_files) carry no file
/// bytes (p_filesz 0: every loader zero-fills their pages, as it did their .bss) and whose bytes travel as LZ4 blocks
/// in one more read-only PT_LOAD at <c>__uk_payload_start</c>, the first page above all of them, which the kernel
/// expands before it reads any of them. It runs last before the SBOM, on the image as <c>--no-compress</c> writes it
/// (hash stamped), so the image hash is the expanded image's; the file keeps the kernel's segments, then the payload,
/// then the non-loaded tail (.symtab, .strtab, .shstrtab, section headers) moved down. Sections inside compressed
/// segments become SHT_NOBITS (they have no bytes in the file). <see cref="UkPayloadCodec.Expand"/> undoes all of it,
/// and this pass checks that it does before it hands the image on.
/// </summary>
public static class PayloadWriter
{
    private const ulong PageSize = Layout.SectionLayout.PageSize;

    public static byte[] Compress(byte[] image, ulong regionsFrom, ulong payloadAddress, string appPath)
    {
        var elf = MemoryMarshal.Read<Elf64Header>(image);
        var headers = new List<Elf64ProgramHeader>();
        for (int i = 0; i < elf.ProgramHeaderCount; i++)
            headers.Add(MemoryMarshal.Read<Elf64ProgramHeader>(image.AsSpan((int)elf.ProgramHeaderOffset + i * ProgramHeaderSize)));

        var regionIndices = Enumerable.Range(0, headers.Count)
            .Where(i => headers[i].Type == PT_LOAD && headers[i].VirtualAddress >= regionsFrom && headers[i].FileSize != 0)
            .OrderBy(i => headers[i].Offset).ToList();
        var regions = regionIndices.Select(i => headers[i]).ToList();
        if (regions.Count == 0)
            return image;
        ulong cut = regions[0].Offset;
        ulong loadedEnd = regions.Max(h => h.Offset + h.FileSize);
        ulong originalTail = Layout.SectionLayout.AlignUp(loadedEnd, 8);
        for (int i = 0; i < headers.Count; i++)
            if (!regionIndices.Contains(i) && headers[i].FileSize != 0 && headers[i].Offset + headers[i].FileSize > cut)
                throw new LinkerException($"cannot compress the image: program header {i} (type {headers[i].Type}, at 0x{headers[i].VirtualAddress:x}) " +
                    $"has file bytes after the first compressed segment's (file offset 0x{cut:x})", file: appPath);
        if (regions.Exists(h => h.VirtualAddress + h.MemorySize > payloadAddress))
            throw new LinkerException($"cannot compress the image: a segment ends above the payload's address 0x{payloadAddress:x}", file: appPath);
        if (elf.SectionHeaderOffset < originalTail)
            throw new LinkerException("cannot compress the image: its section headers lie among the loaded bytes", file: appPath);

        // Each region on its own block, compressed in parallel: each block depends only on its own bytes.
        var blocks = new byte[regions.Count][];
        Parallel.For(0, regions.Count, i =>
            blocks[i] = Lz4BlockEncoder.Encode(image.AsSpan(checked((int)regions[i].Offset), checked((int)regions[i].FileSize))));

        byte[] payload = BuildPayload(regions, blocks, originalTail, out var payloadHeader);
        ulong payloadOffset = Layout.SectionLayout.AlignUp(cut, PageSize);
        ulong tail = Layout.SectionLayout.AlignUp(payloadOffset + (ulong)payload.Length, 8);
        ulong endAddress = payloadAddress + (ulong)payload.Length;
        if (endAddress > KernelAddressSpaceLimit)
            throw new LinkerException($"the compressed payload (0x{payload.Length:x} bytes at 0x{payloadAddress:x}) would end above 2 GiB " +
                $"(0x{KernelAddressSpaceLimit:x}), the top of the app's range; link without --compress or make the app smaller", file: appPath);
        payloadHeader.TailOffset = tail;
        MemoryMarshal.Write(payload, in payloadHeader);

        ulong length = tail + ((ulong)image.Length - originalTail);
        var output = new byte[checked((int)length)];
        image.AsSpan(0, (int)cut).CopyTo(output);
        payload.CopyTo(output.AsSpan((int)payloadOffset));
        image.AsSpan((int)originalTail).CopyTo(output.AsSpan((int)tail));
        long shift = (long)tail - (long)originalTail;

        // Program headers: the regions lose their file bytes; the payload's PT_LOAD goes after the last PT_LOAD (it has
        // the highest address), so the PT_LOADs stay sorted and the PT_NOTEs follow them.
        var rewritten = new List<Elf64ProgramHeader>();
        for (int i = 0; i < headers.Count; i++)
        {
            var copy = headers[i];
            if (regionIndices.Contains(i))
            {
                copy.FileSize = 0;
                copy.Offset = payloadOffset + copy.VirtualAddress % PageSize;
            }
            rewritten.Add(copy);
        }
        int payloadIndex = rewritten.FindLastIndex(h => h.Type == PT_LOAD) + 1;
        rewritten.Insert(payloadIndex, new Elf64ProgramHeader
        {
            Type = PT_LOAD, Flags = PF_R, Offset = payloadOffset, VirtualAddress = payloadAddress, PhysicalAddress = payloadAddress,
            FileSize = (ulong)payload.Length, MemorySize = (ulong)payload.Length, Alignment = PageSize,
        });
        ulong firstBytes = headers.Where(h => h.FileSize != 0).Min(h => h.Offset);
        if (elf.ProgramHeaderOffset + (ulong)(rewritten.Count * ProgramHeaderSize) > firstBytes)
            throw new LinkerException("cannot compress the image: no room for one more program header before the first segment", file: appPath);
        for (int i = 0; i < rewritten.Count; i++)
        {
            var header = rewritten[i];
            MemoryMarshal.Write(output.AsSpan((int)elf.ProgramHeaderOffset + i * ProgramHeaderSize), in header);
        }
        elf.ProgramHeaderCount = (ushort)rewritten.Count;
        elf.SectionHeaderOffset = (ulong)((long)elf.SectionHeaderOffset + shift);
        MemoryMarshal.Write(output, in elf);

        var regionRecords = ReadRegionRecords(payload, payloadHeader);
        for (int i = 0; i < elf.SectionCount; i++)
        {
            var span = output.AsSpan((int)elf.SectionHeaderOffset + i * SectionHeaderSize, SectionHeaderSize);
            var section = MemoryMarshal.Read<Elf64SectionHeader>(span);
            if (section.Type == SHT_NULL)
                continue;
            if ((section.Flags & SHF_ALLOC) == 0 && section.Offset >= originalTail)
                section.Offset = (ulong)((long)section.Offset + shift);
            else if (section.Type != SHT_NOBITS && (section.Flags & SHF_ALLOC) != 0
                     && UkPayloadCodec.InRegion(regionRecords, section.Address, section.Size))
                section.Type = SHT_NOBITS;
            MemoryMarshal.Write(span, in section);
        }

        if (!UkPayloadCodec.Expand(output).AsSpan().SequenceEqual(image))
            throw new LinkerException("internal error: the compressed image does not expand to the uncompressed one " +
                "(link without --compress, and report this)", file: appPath);
        return output;
    }

    private const ulong KernelAddressSpaceLimit = Layout.KernelAddressSpace.AppLimit;

    private static byte[] BuildPayload(List<Elf64ProgramHeader> regions, byte[][] blocks, ulong originalTail,
        out UkPayloadHeader header)
    {
        int dataStart = UkPayloadFormat.HeaderSize + regions.Count * UkPayloadFormat.RegionSize;
        long size = dataStart + blocks.Sum(block => (long)block.Length);
        if (size > int.MaxValue)
            throw new LinkerException($"the compressed payload would be 0x{size:x} bytes, more than uk-ld can write");
        var payload = new byte[size];
        header = new UkPayloadHeader
        {
            Magic = UkPayloadFormat.Magic, Size = (uint)size, RegionCount = (uint)regions.Count,
            RegionsOffset = UkPayloadFormat.HeaderSize, RegionSize = UkPayloadFormat.RegionSize,
            Codec = UkPayloadFormat.CodecLz4Block, OriginalTailOffset = originalTail,
        };
        int offset = dataStart;
        for (int i = 0; i < regions.Count; i++)
        {
            var record = new UkPayloadRegion
            {
                Address = regions[i].VirtualAddress, FileSize = regions[i].FileSize, MemorySize = regions[i].MemorySize,
                OriginalFileOffset = regions[i].Offset, DataOffset = (uint)offset, DataSize = (uint)blocks[i].Length,
                Flags = regions[i].Flags,
            };
            MemoryMarshal.Write(payload.AsSpan(UkPayloadFormat.HeaderSize + i * UkPayloadFormat.RegionSize), in record);
            blocks[i].CopyTo(payload.AsSpan(offset));
            offset += blocks[i].Length;
        }
        return payload;
    }

    private static List<UkPayloadRegion> ReadRegionRecords(byte[] payload, UkPayloadHeader header)
    {
        var records = new List<UkPayloadRegion>();
        for (int i = 0; i < header.RegionCount; i++)
            records.Add(MemoryMarshal.Read<UkPayloadRegion>(payload.AsSpan(UkPayloadFormat.HeaderSize + i * UkPayloadFormat.RegionSize)));
        return records;
    }
}
