using System.Buffers.Binary;

namespace Unikernel.Loaders.Uefi;

/// <summary>
/// Writes a PE32+ image with one code section (Microsoft PE/COFF specification, "PE Format"): the MS-DOS header whose
/// e_lfanew points at the PE signature, the COFF file header, the PE32+ optional header with all 16 data directories
/// (all empty: the code is position independent, so there is nothing to relocate, and the image is not marked
/// relocations-stripped so firmware may load it anywhere), the section table, then the section's raw data.
/// No timestamp, no linker version, no debug directory: the same code gives the same bytes.
/// </summary>
internal static class PeImageWriter
{
    public const int DosHeaderBytes = 64;
    public const int PeSignatureOffset = DosHeaderBytes;             // e_lfanew
    public const int CoffHeaderOffset = PeSignatureOffset + 4;
    public const int CoffHeaderBytes = 20;
    public const int OptionalHeaderOffset = CoffHeaderOffset + CoffHeaderBytes;
    public const int OptionalHeaderBytes = 240;                      // PE32+: 112 bytes of fields + 16 data directories
    public const int SectionTableOffset = OptionalHeaderOffset + OptionalHeaderBytes;
    public const int SectionHeaderBytes = 40;

    public const ushort MachineAmd64 = 0x8664;
    public const ushort OptionalHeaderMagicPe32Plus = 0x20B;
    public const ushort SubsystemEfiApplication = 10;
    public const uint FileAlignment = 0x200;
    public const uint SectionAlignment = 0x1000;
    public const uint TextRva = SectionAlignment;                    // the first page holds the headers
    /// <summary>Where the image would like to be; firmware loads it wherever it has room (it needs no fixups).</summary>
    public const ulong PreferredImageBase = 0x1_4000_0000;

    // IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_LARGE_ADDRESS_AWARE.
    public const ushort FileCharacteristics = 0x0002 | 0x0020;
    // IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE: the image runs at any address. Not NX_COMPAT: the loader executes its
    // mode-switch code from pages it allocates (EfiLoaderCode), which NX-compatible images promise not to do.
    public const ushort DllCharacteristics = 0x0040;
    // IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_MEM_READ.
    public const uint TextCharacteristics = 0x6000_0020;
    public const int DataDirectoryCount = 16;

    public static byte[] Write(byte[] code, uint entryOffset)
    {
        if (entryOffset >= code.Length) throw new ArgumentOutOfRangeException(nameof(entryOffset), "the entry point must lie inside .text");
        uint headersSize = AlignUp(SectionTableOffset + SectionHeaderBytes, FileAlignment);
        uint textRawSize = AlignUp((uint)code.Length, FileAlignment);
        uint imageSize = TextRva + AlignUp((uint)code.Length, SectionAlignment);
        var image = new byte[headersSize + textRawSize];
        var span = image.AsSpan();

        // MS-DOS header: "MZ" and e_lfanew; no real-mode stub program (UEFI never runs one).
        span[0] = (byte)'M';
        span[1] = (byte)'Z';
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x3C..], PeSignatureOffset);

        "PE\0\0"u8.CopyTo(span[PeSignatureOffset..]);

        var coff = span[CoffHeaderOffset..];
        BinaryPrimitives.WriteUInt16LittleEndian(coff[0..], MachineAmd64);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[2..], 1);                  // NumberOfSections
        // TimeDateStamp, PointerToSymbolTable, NumberOfSymbols: 0.
        BinaryPrimitives.WriteUInt16LittleEndian(coff[16..], OptionalHeaderBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[18..], FileCharacteristics);

        var optional = span[OptionalHeaderOffset..];
        BinaryPrimitives.WriteUInt16LittleEndian(optional[0..], OptionalHeaderMagicPe32Plus);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[4..], textRawSize);     // SizeOfCode
        BinaryPrimitives.WriteUInt32LittleEndian(optional[16..], TextRva + entryOffset); // AddressOfEntryPoint
        BinaryPrimitives.WriteUInt32LittleEndian(optional[20..], TextRva);         // BaseOfCode
        BinaryPrimitives.WriteUInt64LittleEndian(optional[24..], PreferredImageBase);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[32..], SectionAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[36..], FileAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[56..], imageSize);       // SizeOfImage
        BinaryPrimitives.WriteUInt32LittleEndian(optional[60..], headersSize);     // SizeOfHeaders
        BinaryPrimitives.WriteUInt16LittleEndian(optional[68..], SubsystemEfiApplication);
        BinaryPrimitives.WriteUInt16LittleEndian(optional[70..], DllCharacteristics);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[108..], DataDirectoryCount); // NumberOfRvaAndSizes

        var text = span[SectionTableOffset..];
        ".text\0\0\0"u8.CopyTo(text);
        BinaryPrimitives.WriteUInt32LittleEndian(text[8..], (uint)code.Length);   // VirtualSize
        BinaryPrimitives.WriteUInt32LittleEndian(text[12..], TextRva);            // VirtualAddress
        BinaryPrimitives.WriteUInt32LittleEndian(text[16..], textRawSize);        // SizeOfRawData
        BinaryPrimitives.WriteUInt32LittleEndian(text[20..], headersSize);        // PointerToRawData
        BinaryPrimitives.WriteUInt32LittleEndian(text[36..], TextCharacteristics);

        code.CopyTo(span[(int)headersSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[64..], Checksum(image, OptionalHeaderOffset + 64));
        return image;
    }

    /// <summary>
    /// The optional header's CheckSum as Windows' imagehlp computes it: the file as 16-bit little-endian words summed
    /// with end-around carry (the CheckSum field itself taken as zero), plus the file's length.
    /// </summary>
    public static uint Checksum(ReadOnlySpan<byte> file, int checksumOffset)
    {
        ulong sum = 0;
        for (int i = 0; i + 1 < file.Length; i += 2)
        {
            if (i == checksumOffset || i == checksumOffset + 2) continue;
            sum += BinaryPrimitives.ReadUInt16LittleEndian(file[i..]);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        if ((file.Length & 1) != 0) { sum += file[^1]; sum = (sum & 0xFFFF) + (sum >> 16); }
        return (uint)(sum + (ulong)file.Length);
    }

    private static uint AlignUp(uint value, uint alignment) => (value + alignment - 1) & ~(alignment - 1);
    private static uint AlignUp(int value, uint alignment) => AlignUp((uint)value, alignment);
}
