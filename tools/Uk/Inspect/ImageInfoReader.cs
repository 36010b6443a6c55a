using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Tools.Inspect;

/// <summary>What an image says about itself: its <c>uk_image_info</c> section.</summary>
/// <param name="FormatVersion">The record's layout version.</param>
/// <param name="Entries">Key/value pairs in the order the image lists them (a key such as <c>input</c> may repeat).</param>
public sealed record ImageInfo(uint FormatVersion, IReadOnlyList<KeyValuePair<string, string>> Entries)
{
    /// <summary>The link's inputs (objects and archives, then the app) with their sizes and SHA-256s.</summary>
    public IReadOnlyList<ImageInput> InputFiles { get; init; } = [];
    public string? this[string key] => Entries.FirstOrDefault(e => e.Key == key).Value;
    public IEnumerable<string> All(string key) => Entries.Where(e => e.Key == key).Select(e => e.Value);
    public string? AppName => this["app"];
    public string? Version => this["version"];
    public string? ContentHash => this["content-hash"];
    public IEnumerable<string> Inputs => All("input");
}

/// <summary>An input of the image's link as <c>uk_image_info</c> records it.</summary>
public sealed record ImageInput(string Name, ulong Size, string Sha256, bool IsApp);

/// <summary>
/// Reads the read-only <c>uk_image_info</c> section the linker writes into images with an app (layout:
/// docs/boot-abi.md, "uk_image_info"; the linker's side is Unikernel.Linker.Output.ImageInfo). Little-endian,
/// offsets from the section's start:
/// <code>
///   0  8  magic "UKIMAGE1"          8  u32 Size               12  u32 InputCount
///  16 32  ImageSha256               48  u32 NameOffset        52  u32 NameLength
///  56  u32 VersionOffset            60  u32 VersionLength     64  u32 InputsOffset (72)   68  u32 InputRecordSize (48)
///  input record: u8 Sha256[32], u64 Size, u32 NameOffset, u16 NameLength, u16 Kind (1 linked, 2 the app)
/// </code>
/// It never throws on bad input: a missing section is "not present", a malformed one is reported as such.
/// </summary>
public static class ImageInfoReader
{
    public const string SectionName = "uk_image_info";
    public static ReadOnlySpan<byte> Magic => "UKIMAGE1"u8;
    private const int HeaderSize = 72;
    private const int MinimumRecordSize = 48;
    private const ushort KindApp = 2;

    public enum Status { NotPresent, Present, Malformed }

    public sealed record Result(Status Status, ImageInfo? Info, string? Problem);

    /// <summary>Finds the section in an ELF file by name (the kernel's code contains the magic too) and parses it.</summary>
    public static Result Read(ElfFile elf)
    {
        var section = elf.FindSection(SectionName);
        if (section is null) return new Result(Status.NotPresent, null, null);
        var bytes = elf.SectionBytes(section);
        return bytes is null ? new Result(Status.Malformed, null, "the section's bytes are not in the file") : Parse(bytes);
    }

    public static Result Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || !bytes[..8].SequenceEqual(Magic)) return Bad("no UKIMAGE1 magic");
        uint size = U32(bytes, 8), count = U32(bytes, 12);
        if (size < HeaderSize || size > bytes.Length) return Bad($"section size {size} does not fit ({bytes.Length} bytes)");
        var section = bytes[..(int)size];
        string hash = "sha256:" + Convert.ToHexStringLower(section.Slice(16, 32));
        string? name = Text(section, U32(section, 48), U32(section, 52));
        string? version = Text(section, U32(section, 56), U32(section, 60));
        if (name is null || version is null) return Bad("name or version lies outside the section");
        uint inputsOffset = U32(section, 64), recordSize = U32(section, 68);
        if (recordSize < MinimumRecordSize || inputsOffset < HeaderSize || inputsOffset + (ulong)count * recordSize > size)
            return Bad("the input records do not fit the section");
        var entries = new List<KeyValuePair<string, string>> { new("app", name), new("version", version), new("content-hash", hash) };
        var inputs = new List<ImageInput>();
        for (int i = 0; i < count; i++)
        {
            var record = section.Slice((int)(inputsOffset + i * recordSize), (int)recordSize);
            string? inputName = Text(section, U32(record, 40), BinaryPrimitives.ReadUInt16LittleEndian(record[44..]));
            if (inputName is null) return Bad($"input {i}'s name lies outside the section");
            var input = new ImageInput(inputName, BinaryPrimitives.ReadUInt64LittleEndian(record[32..]),
                                       Convert.ToHexStringLower(record[..32]), BinaryPrimitives.ReadUInt16LittleEndian(record[46..]) == KindApp);
            inputs.Add(input);
            entries.Add(new("input", $"{input.Name} ({(input.IsApp ? "app" : "linked")}, {input.Size:N0} bytes) sha256:{input.Sha256}"));
        }
        return new Result(Status.Present, new ImageInfo(1, entries) { InputFiles = inputs }, null);
    }

    /// <summary>Writes a section in the linker's layout (for tests).</summary>
    public static byte[] Build(string name, string version, byte[] imageSha256, IReadOnlyList<ImageInput> inputs)
    {
        var strings = new MemoryStream();
        int stringsStart = HeaderSize + MinimumRecordSize * inputs.Count;
        (uint, uint) Add(string s)
        {
            uint at = (uint)(stringsStart + strings.Length);
            byte[] utf8 = Encoding.UTF8.GetBytes(s);
            strings.Write(utf8);
            strings.WriteByte(0);
            return (at, (uint)utf8.Length);
        }
        var nameAt = Add(name);
        var versionAt = Add(version);
        var inputNames = inputs.Select(i => Add(i.Name)).ToList();
        int size = (stringsStart + (int)strings.Length + 7) & ~7;
        var bytes = new byte[size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)inputs.Count);
        imageSha256.CopyTo(bytes, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(48), nameAt.Item1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52), nameAt.Item2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(56), versionAt.Item1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(60), versionAt.Item2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(64), HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(68), MinimumRecordSize);
        for (int i = 0; i < inputs.Count; i++)
        {
            var record = bytes.AsSpan(HeaderSize + i * MinimumRecordSize, MinimumRecordSize);
            Convert.FromHexString(inputs[i].Sha256).CopyTo(record);
            BinaryPrimitives.WriteUInt64LittleEndian(record[32..], inputs[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(record[40..], inputNames[i].Item1);
            BinaryPrimitives.WriteUInt16LittleEndian(record[44..], (ushort)inputNames[i].Item2);
            BinaryPrimitives.WriteUInt16LittleEndian(record[46..], inputs[i].IsApp ? KindApp : (ushort)1);
        }
        strings.ToArray().CopyTo(bytes, stringsStart);
        return bytes;
    }

    private static Result Bad(string problem) => new(Status.Malformed, null, problem);

    private static uint U32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);

    // A string given by offset and length, which must end with a NUL inside the section.
    private static string? Text(ReadOnlySpan<byte> section, uint offset, uint length)
    {
        if ((ulong)offset + length >= (ulong)section.Length || section[(int)(offset + length)] != 0) return null;
        return Encoding.UTF8.GetString(section.Slice((int)offset, (int)length));
    }
}
