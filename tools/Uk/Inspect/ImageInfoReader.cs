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
/// formats/UkImageInfoFormat.cs and docs/boot-abi.md, "uk_image_info"; decoded by the codec the linker encodes with).
/// It never throws on bad input: a missing section is "not present", a malformed one is reported as such.
/// </summary>
public static class ImageInfoReader
{
    public const string SectionName = UkImageInfoFormat.SectionName;

    public enum Status { NotPresent, Present, Malformed }

    public sealed record Result(Status Status, ImageInfo? Info, string? Problem);

    /// <summary>Finds the section in an ELF file by name (the kernel's code contains the magic too) and parses it.</summary>
    public static Result Read(ElfFile elf)
    {
        // A compressed image carries the section in its payload (docs/boot-abi.md, "The compressed payload").
        if (UkPayloadCodec.Find(elf.Bytes) is not null)
        {
            try { elf = ElfFile.Parse(UkPayloadCodec.Expand(elf.Bytes)); }
            catch (InvalidDataException e) { return new Result(Status.Malformed, null, e.Message); }
        }
        var section = elf.FindSection(SectionName);
        if (section is null) return new Result(Status.NotPresent, null, null);
        var bytes = elf.SectionBytes(section);
        return bytes is null ? new Result(Status.Malformed, null, "the section's bytes are not in the file") : Parse(bytes);
    }

    public static Result Parse(ReadOnlySpan<byte> bytes)
    {
        var contents = UkImageInfoCodec.Decode(bytes, out string? problem);
        if (contents is null) return new Result(Status.Malformed, null, problem);
        string hash = "sha256:" + Convert.ToHexStringLower(contents.ImageSha256);
        var entries = new List<KeyValuePair<string, string>> { new("app", contents.Name), new("version", contents.Version), new("content-hash", hash) };
        var inputs = new List<ImageInput>();
        foreach (var record in contents.Inputs)
        {
            var input = new ImageInput(record.Name, record.Size, Convert.ToHexStringLower(record.Sha256), record.Kind == UkImageInfoFormat.InputKindApp);
            inputs.Add(input);
            entries.Add(new("input", $"{input.Name} ({(input.IsApp ? "app" : "linked")}, {input.Size:N0} bytes) sha256:{input.Sha256}"));
        }
        return new Result(Status.Present, new ImageInfo(1, entries) { InputFiles = inputs }, null);
    }

    /// <summary>Writes a section in the linker's layout, with the linker's encoder (for tests).</summary>
    public static byte[] Build(string name, string version, byte[] imageSha256, IReadOnlyList<ImageInput> inputs) =>
        UkImageInfoCodec.Encode(name, version, imageSha256, inputs.Select(input => new UkImageInfoInput(input.Name, input.Size,
            Convert.FromHexString(input.Sha256), input.IsApp ? UkImageInfoFormat.InputKindApp : UkImageInfoFormat.InputKindLinked)).ToList());
}
