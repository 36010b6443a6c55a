using System.Runtime.InteropServices;
using System.Text;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

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
    public const string SectionName = UkImageInfoFormat.SectionName;
    public const int HashOffset = UkImageInfoFormat.ImageSha256Offset;
    /// <summary>The section and the alignment gap before uk_ksyms must stay inside the page at AppEnd.</summary>
    public const int MaxSize = (int)Layout.SectionLayout.PageSize - 8;

    public const ushort InputKindLinked = UkImageInfoFormat.InputKindLinked;
    public const ushort InputKindApp = UkImageInfoFormat.InputKindApp;

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
        if (Encoding.UTF8.GetByteCount(text) > UkImageInfoFormat.MaxTextLength)
            throw new LinkerException($"{option} '{text}' is longer than {UkImageInfoFormat.MaxTextLength} bytes");
        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new LinkerException($"{option} '{text}' contains a space or control character (the boot report prints it as one word)");
    }

    public static byte[] Encode(string name, string version, IReadOnlyList<Input> inputs) =>
        UkImageInfoCodec.Encode(name, version, new byte[UkImageInfoFormat.Sha256Size],
            inputs.Select(input => new UkImageInfoInput(input.Name, input.Size, input.Sha256, input.Kind)).ToList());

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

    /// <summary>The image hash (formats/Host/ImageHashMessage.cs), with the 32 bytes at file offset
    /// <paramref name="hashFieldOffset"/> read as zeros.</summary>
    public static byte[] ComputeImageHash(ReadOnlySpan<byte> elf, long hashFieldOffset)
    {
        var sha = new Sha256();
        ImageHashMessage.Feed(elf, hashFieldOffset, sha);
        return sha.Finish();
    }

    /// <summary>The file offset and size of the <c>uk_image_info</c> section of an image (by its section header), or
    /// null when it has none. (Searching the bytes for the magic is not enough: the kernel's code holds it too.)</summary>
    public static (int Offset, int Size)? Locate(ReadOnlySpan<byte> elf) => LocateSection(elf, SectionName);

    /// <summary>The file offset and size of the section named <paramref name="name"/> (by its section header), or null.</summary>
    public static (int Offset, int Size)? LocateSection(ReadOnlySpan<byte> elf, string name)
    {
        var file = MemoryMarshal.Read<Elf64Header>(elf);
        long sectionHeaders = checked((long)file.SectionHeaderOffset);
        int entrySize = file.SectionHeaderEntrySize, count = file.SectionCount, namesIndex = file.SectionNameTableIndex;
        if (sectionHeaders == 0 || namesIndex >= count)
            return null;
        var names = elf[checked((int)SectionHeader(elf, sectionHeaders, entrySize, namesIndex).Offset)..];
        for (int i = 0; i < count; i++)
        {
            var header = SectionHeader(elf, sectionHeaders, entrySize, i);
            var found = names[(int)header.NameOffset..];
            int end = found.IndexOf((byte)0);
            if (end >= 0 && found[..end].SequenceEqual(Encoding.UTF8.GetBytes(name)))
                return (checked((int)header.Offset), checked((int)header.Size));
        }
        return null;
    }

    private static Elf64SectionHeader SectionHeader(ReadOnlySpan<byte> elf, long table, int entrySize, int index) =>
        MemoryMarshal.Read<Elf64SectionHeader>(elf.Slice(checked((int)table + index * entrySize), entrySize));

    /// <summary>Reads a section written by <see cref="Encode"/> (the link map, tests and tools).</summary>
    public static Contents Read(ReadOnlySpan<byte> section)
    {
        var contents = UkImageInfoCodec.Decode(section, out string? problem)
            ?? throw new InvalidDataException($"not a {SectionName} section: {problem}");
        return new Contents(contents.Name, contents.Version, contents.ImageSha256,
            contents.Inputs.Select(input => new Input(input.Name, input.Size, input.Sha256, input.Kind)).ToList(), contents.Size);
    }
}
