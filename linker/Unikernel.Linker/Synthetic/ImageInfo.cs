using System.Buffers.Binary;
using System.Text;
using Unikernel.Linker.Model;
using static Unikernel.Linker.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// <c>uk_image_info</c> (docs/boot-abi.md, "uk_image_info"): what an image with an app is, readable by the kernel
/// (its boot report prints <c>uk: image NAME VERSION sha256:HASH</c>) and by tools (<c>uk inspect</c>): the app's
/// name and version (<c>--app-name</c>, <c>--app-version</c>), the SHA-256 of everything the VMM loads (the entry
/// point and every PT_LOAD: address, sizes, flags, bytes; this field reads as zeros while hashing), and the link's
/// inputs (boot.o, kernel.o, ..., the app) by file name, size and SHA-256. Nothing in it depends on where the
/// inputs lay or when the link ran, so the same inputs give the same image, byte for byte.
/// The section is the first of uk_ksyms' segment, at <c>AppEnd</c>; it fits in that page so the kernel's
/// reservation of uk_ksyms' pages (from <c>KsymsStart</c> rounded down) covers it.
/// </summary>
public static class ImageInfo
{
    public const string SectionName = "uk_image_info";
    /// <summary>"UKIMAGE1" as little-endian bytes.</summary>
    public const ulong Magic = 0x31454741_4D494B55;
    public const int HeaderSize = 72;
    public const int InputRecordSize = 48;
    public const int HashOffset = 16;
    public const int MaxTextLength = 255;
    /// <summary>The section and the alignment gap before uk_ksyms must stay inside the page at AppEnd.</summary>
    public const int MaxSize = (int)Layout.SectionLayout.PageSize - 8;

    public const ushort InputKindLinked = 1;
    public const ushort InputKindApp = 2;

    public const string UnknownVersion = "unknown";

    public sealed record Input(string Name, ulong Size, byte[] Sha256, ushort Kind);

    public sealed record Contents(string Name, string Version, byte[] ImageSha256, IReadOnlyList<Input> Inputs, int Size);

    /// <summary>The section's bytes with a zero image hash; the hash is written by <see cref="Stamp"/>.</summary>
    public static InputSection CreateSection(string name, string version, IReadOnlyList<(string Path, ushort Kind)> inputs)
    {
        CheckText("--app-name", name);
        CheckText("--app-version", version);
        var records = new Input[inputs.Count];
        var failures = new LinkerException?[inputs.Count];
        Parallel.For(0, inputs.Count, i =>
        {
            var (path, kind) = inputs[i];
            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                records[i] = new Input(System.IO.Path.GetFileName(path), (ulong)bytes.Length, Sha256.Hash(bytes), kind);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Read once already, so it changed under the link; thrown here it would arrive wrapped by Parallel.For.
                failures[i] = new LinkerException($"cannot read input again to hash it for {SectionName}: {error.Message}", file: path);
            }
        });
        if (failures.FirstOrDefault(failure => failure is not null) is { } failure)
            throw failure;
        byte[] data = Encode(name, version, records);
        if (data.Length > MaxSize)
            throw new LinkerException($"{SectionName} would be {data.Length} bytes, more than its page allows ({MaxSize}): " +
                "shorten the app's name and version or link fewer, shorter-named inputs");
        return new InputSection(null, SectionName, SHT_PROGBITS, SHF_ALLOC, 8, (ulong)data.Length, data);
    }

    private static void CheckText(string option, string text)
    {
        if (text.Length == 0)
            throw new LinkerException($"{option} is empty");
        if (Encoding.UTF8.GetByteCount(text) > MaxTextLength)
            throw new LinkerException($"{option} '{text}' is longer than {MaxTextLength} bytes");
        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new LinkerException($"{option} '{text}' contains a space or control character (the boot report prints it as one word)");
    }

    public static byte[] Encode(string name, string version, IReadOnlyList<Input> inputs)
    {
        var strings = new MemoryStream();
        int stringsStart = HeaderSize + InputRecordSize * inputs.Count;
        (uint Offset, int Length) AddString(string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            uint offset = (uint)(stringsStart + strings.Length);
            strings.Write(bytes);
            strings.WriteByte(0);
            return (offset, bytes.Length);
        }

        var nameString = AddString(name);
        var versionString = AddString(version);
        var inputStrings = inputs.Select(input => AddString(input.Name)).ToList();
        int size = stringsStart + (int)strings.Length;
        size = (size + 7) & ~7;

        var data = new byte[size];
        var span = data.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)inputs.Count);
        // 16..48: the image's SHA-256, stamped after the image is written.
        BinaryPrimitives.WriteUInt32LittleEndian(span[48..], nameString.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[52..], (uint)nameString.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[56..], versionString.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[60..], (uint)versionString.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[64..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[68..], InputRecordSize);
        for (int i = 0; i < inputs.Count; i++)
        {
            var record = span.Slice(HeaderSize + i * InputRecordSize, InputRecordSize);
            inputs[i].Sha256.CopyTo(record);
            BinaryPrimitives.WriteUInt64LittleEndian(record[32..], inputs[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(record[40..], inputStrings[i].Offset);
            BinaryPrimitives.WriteUInt16LittleEndian(record[44..], checked((ushort)inputStrings[i].Length));
            BinaryPrimitives.WriteUInt16LittleEndian(record[46..], inputs[i].Kind);
        }
        strings.ToArray().CopyTo(span[stringsStart..]);
        return data;
    }

    /// <summary>After the image is written: hashes what the VMM loads and stores the hash in the section.</summary>
    public static byte[] Stamp(byte[] image, InputSection section)
    {
        int field = checked((int)(section.Output!.FileOffset + section.OffsetInOutput)) + HashOffset;
        image.AsSpan(field, Sha256.HashSize).Clear();
        byte[] hash = ComputeImageHash(image, field);
        hash.CopyTo(image.AsSpan(field));
        hash.CopyTo(section.Data.AsSpan(HashOffset));
        return hash;
    }

    /// <summary>
    /// The image hash: SHA-256 over <c>e_entry</c>, then for each PT_LOAD in program header order <c>p_vaddr</c>,
    /// <c>p_memsz</c>, <c>p_flags</c>, <c>p_filesz</c> (each as a little-endian u64) and its <c>p_filesz</c> bytes from
    /// the file, with the 32 bytes at file offset <paramref name="hashFieldOffset"/> read as zeros.
    /// </summary>
    public static byte[] ComputeImageHash(ReadOnlySpan<byte> elf, long hashFieldOffset)
    {
        var sha = new Sha256();
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(elf[24..]);
        ulong programHeaders = BinaryPrimitives.ReadUInt64LittleEndian(elf[32..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf[54..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf[56..]);
        sha.AppendUInt64(entry);
        Span<byte> zeros = stackalloc byte[Sha256.HashSize];
        zeros.Clear();
        for (int i = 0; i < count; i++)
        {
            var header = elf.Slice(checked((int)programHeaders + i * entrySize), 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != PT_LOAD)
                continue;
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            long offset = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(header[8..]));
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
            long fileSize = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]));
            ulong memorySize = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
            sha.AppendUInt64(address);
            sha.AppendUInt64(memorySize);
            sha.AppendUInt64(flags);
            sha.AppendUInt64((ulong)fileSize);
            var bytes = elf.Slice(checked((int)offset), checked((int)fileSize));
            long fieldStart = hashFieldOffset - offset;
            if (fieldStart >= 0 && fieldStart + Sha256.HashSize <= fileSize)
            {
                sha.Append(bytes[..(int)fieldStart]);
                sha.Append(zeros);
                sha.Append(bytes[((int)fieldStart + Sha256.HashSize)..]);
            }
            else
            {
                sha.Append(bytes);
            }
        }
        return sha.Finish();
    }

    /// <summary>The file offset and size of the <c>uk_image_info</c> section of an image (by its section header), or
    /// null when it has none. (Searching the bytes for the magic is not enough: the kernel's code holds it too.)</summary>
    public static (int Offset, int Size)? Locate(ReadOnlySpan<byte> elf)
    {
        long sectionHeaders = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(elf[40..]));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf[58..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf[60..]);
        int namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(elf[62..]);
        if (sectionHeaders == 0 || namesIndex >= count)
            return null;
        var names = elf[checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf[(int)(sectionHeaders + namesIndex * entrySize + 24)..]))..];
        for (int i = 0; i < count; i++)
        {
            var header = elf.Slice(checked((int)sectionHeaders + i * entrySize), entrySize);
            var name = names[(int)BinaryPrimitives.ReadUInt32LittleEndian(header)..];
            int end = name.IndexOf((byte)0);
            if (end >= 0 && name[..end].SequenceEqual(SectionName.Select(c => (byte)c).ToArray()))
                return (checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..])), checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[32..])));
        }
        return null;
    }

    /// <summary>Reads a section written by <see cref="Encode"/> (tests and tools).</summary>
    public static Contents Read(ReadOnlySpan<byte> section)
    {
        if (section.Length < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(section) != Magic)
            throw new InvalidDataException($"not a {SectionName} section (no UKIMAGE1 magic)");
        int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[8..]);
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[12..]);
        int inputsOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[64..]);
        int recordSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[68..]);
        string name = Text(section, 48, 52), version = Text(section, 56, 60);
        var inputs = new List<Input>();
        for (int i = 0; i < count; i++)
        {
            var record = section.Slice(inputsOffset + i * recordSize, recordSize);
            string inputName = Encoding.UTF8.GetString(section.Slice((int)BinaryPrimitives.ReadUInt32LittleEndian(record[40..]),
                BinaryPrimitives.ReadUInt16LittleEndian(record[44..])));
            inputs.Add(new Input(inputName, BinaryPrimitives.ReadUInt64LittleEndian(record[32..]), record[..32].ToArray(),
                BinaryPrimitives.ReadUInt16LittleEndian(record[46..])));
        }
        return new Contents(name, version, section.Slice(HashOffset, Sha256.HashSize).ToArray(), inputs, size);
    }

    private static string Text(ReadOnlySpan<byte> section, int offsetField, int lengthField) =>
        Encoding.UTF8.GetString(section.Slice((int)BinaryPrimitives.ReadUInt32LittleEndian(section[offsetField..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(section[lengthField..])));
}
