using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Tools.Inspect;

/// <summary>What an image says about itself: its <c>uk_image_info</c> section.</summary>
/// <param name="FormatVersion">The record's layout version.</param>
/// <param name="Entries">Key/value pairs in the order the image lists them (a key such as <c>input</c> may repeat).</param>
public sealed record ImageInfo(uint FormatVersion, IReadOnlyList<KeyValuePair<string, string>> Entries)
{
    public string? this[string key] => Entries.FirstOrDefault(e => e.Key == key).Value;
    public IEnumerable<string> All(string key) => Entries.Where(e => e.Key == key).Select(e => e.Value);
    public string? AppName => this["app"];
    public string? Version => this["version"];
    public string? ContentHash => this["content-hash"];
    public IEnumerable<string> Inputs => All("input");
}

/// <summary>
/// Reads the read-only <c>uk_image_info</c> section (app name, version, content hash, inputs).
/// <para><b>PROVISIONAL.</b> That section is being added to uk-ld in parallel; its final layout will be in
/// docs/boot-abi.md. This reader is written against the planned layout below and is kept alone in this file so that
/// it can be aligned with the real one after the merge; nothing else in `uk` depends on the byte layout. It never
/// throws on bad input: a missing section is "not present", a malformed one is reported as such.</para>
/// <code>
/// off  size
///   0     8  Magic "UKIMAGE1" (ASCII)
///   8     4  u32 FormatVersion (1)
///  12     4  u32 TotalSize: bytes of the whole record, header included (&lt;= the section's size)
///  16     4  u32 EntryCount
///  20     4  u32 StringsOffset: from the record's start
///  24  8*N   Entry[EntryCount] { u32 KeyOffset; u32 ValueOffset }   (offsets from StringsOffset)
///       ...  strings: NUL-terminated UTF-8
/// keys: "app", "version", "content-hash" ("sha256:" + hex), "input" (repeatable: "path sha256:hex")
/// </code>
/// </summary>
public static class ImageInfoReader
{
    public const string SectionName = "uk_image_info";
    public static ReadOnlySpan<byte> Magic => "UKIMAGE1"u8;
    private const int HeaderSize = 24;

    public enum Status { NotPresent, Present, Malformed }

    public sealed record Result(Status Status, ImageInfo? Info, string? Problem);

    /// <summary>Finds the section in an ELF file by name and parses it.</summary>
    public static Result Read(ElfFile elf)
    {
        var section = elf.FindSection(SectionName);
        if (section is null) return new Result(Status.NotPresent, null, null);
        var bytes = elf.SectionBytes(section);
        return bytes is null ? new Result(Status.Malformed, null, "the section's bytes are not in the file") : Parse(bytes);
    }

    public static Result Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || !bytes[..8].SequenceEqual(Magic))
            return Bad("no UKIMAGE1 magic");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
        uint strings = BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]);
        if (total < HeaderSize || total > bytes.Length) return Bad($"record size {total} does not fit the section ({bytes.Length} bytes)");
        var record = bytes[..(int)total];
        if (strings > total || HeaderSize + (ulong)count * 8 > strings) return Bad("entry table overlaps the strings");
        var entries = new List<KeyValuePair<string, string>>((int)count);
        for (int i = 0; i < count; i++)
        {
            var e = record.Slice(HeaderSize + i * 8, 8);
            string? key = String(record, strings, BinaryPrimitives.ReadUInt32LittleEndian(e));
            string? value = String(record, strings, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]));
            if (key is null || value is null) return Bad($"entry {i} points outside the record");
            entries.Add(new(key, value));
        }
        return new Result(Status.Present, new ImageInfo(version, entries), null);
    }

    /// <summary>Writes a record in the planned layout (for tests, and as the reference for the writer's side).</summary>
    public static byte[] Build(IEnumerable<KeyValuePair<string, string>> entries, uint version = 1)
    {
        var list = entries.ToList();
        var strings = new MemoryStream();
        var offsets = new List<(uint, uint)>();
        uint Add(string s)
        {
            uint at = (uint)strings.Length;
            strings.Write(Encoding.UTF8.GetBytes(s));
            strings.WriteByte(0);
            return at;
        }
        foreach (var (k, v) in list) offsets.Add((Add(k), Add(v)));
        int stringsOffset = HeaderSize + 8 * list.Count;
        var bytes = new byte[stringsOffset + strings.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)list.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), (uint)stringsOffset);
        for (int i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderSize + i * 8), offsets[i].Item1);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderSize + i * 8 + 4), offsets[i].Item2);
        }
        strings.ToArray().CopyTo(bytes, stringsOffset);
        return bytes;
    }

    private static Result Bad(string problem) => new(Status.Malformed, null, problem);

    private static string? String(ReadOnlySpan<byte> record, uint strings, uint offset)
    {
        ulong at = (ulong)strings + offset;
        if (at >= (ulong)record.Length) return null;
        var rest = record[(int)at..];
        int end = rest.IndexOf((byte)0);
        return end < 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }
}
