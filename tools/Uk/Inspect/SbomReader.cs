using System.Security.Cryptography;
using System.Text.Json;

namespace Unikernel.Tools.Inspect;

/// <summary>
/// Reads an image's SBOM (the <c>uk_sbom</c> section: a CycloneDX JSON document, docs/sbom.md) and checks that it
/// belongs to the image: the SHA-256 its <c>metadata.component</c> records must equal the image hash recomputed from
/// the file's loaded segments (formats/Host/ImageHashMessage.cs), as must the hash uk_image_info records. Takes the ELF
/// bytes, so a disk image's reader can hand it the ELF it carries. Never throws on bad input.
/// </summary>
public static class SbomReader
{
    public const string SectionName = UkSbomFormat.SectionName;

    public enum Status { NotPresent, Matches, Mismatch, Malformed }

    /// <param name="Json">The document as stored (null when not present).</param>
    /// <param name="Message">One line: "matches ..." or what does not match.</param>
    public sealed record Result(Status Status, string? Json, int ComponentCount, string? SpecVersion, string Message);

    public static Result Read(byte[] elfBytes)
    {
        ElfFile elf;
        // A compressed image's hashes are its expanded bytes' (docs/boot-abi.md, "The compressed payload").
        try { elf = ElfFile.Parse(UkPayloadCodec.Expand(elfBytes)); }
        catch (NotAnElfException e) { return new Result(Status.Malformed, null, 0, null, e.Message); }
        catch (InvalidDataException e) { return new Result(Status.Malformed, null, 0, null, e.Message); }
        return Read(elf);
    }

    public static Result Read(ElfFile elf)
    {
        if (elf.FindSection(SectionName) is not { } section)
            return new Result(Status.NotPresent, null, 0, null, $"the image has no SBOM (no {SectionName} section)");
        if (elf.SectionBytes(section) is not { } bytes)
            return new Result(Status.Malformed, null, 0, null, $"{SectionName}: the section's bytes are not in the file");
        string json = System.Text.Encoding.UTF8.GetString(bytes);

        string? recorded, specVersion;
        int count;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("bomFormat", out var format) || format.GetString() != "CycloneDX")
                return new Result(Status.Malformed, json, 0, null, $"{SectionName} is JSON but not a CycloneDX document (no bomFormat CycloneDX)");
            specVersion = root.TryGetProperty("specVersion", out var spec) ? spec.GetString() : null;
            count = root.TryGetProperty("components", out var components) ? CountComponents(components) : 0;
            recorded = ImageSha256(root);
        }
        catch (JsonException e)
        {
            return new Result(Status.Malformed, json, 0, null, $"{SectionName} is not valid JSON: {e.Message}");
        }

        if (elf.FindSection(UkImageInfoFormat.SectionName) is not { } info || info.Size < UkImageInfoFormat.HeaderSize
            || info.Offset + info.Size > (ulong)elf.FileSize)
            return new Result(Status.Mismatch, json, count, specVersion, $"the image has no readable {UkImageInfoFormat.SectionName}, so no image hash to tie the SBOM to");
        long field = checked((long)info.Offset + UkImageInfoFormat.ImageSha256Offset);
        string actual;
        try { actual = ComputeImageHash(elf.Bytes, field); }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            return new Result(Status.Malformed, json, count, specVersion, "the image's program headers point outside the file");
        }
        string inImageInfo = Convert.ToHexStringLower(elf.Bytes.AsSpan(checked((int)field), UkImageInfoFormat.Sha256Size));

        var problems = new List<string>();
        if (recorded is null)
            problems.Add("the SBOM records no SHA-256 for the image (metadata.component.hashes)");
        else if (recorded != actual)
            problems.Add($"the SBOM records sha256:{recorded}, the image's loaded segments hash to sha256:{actual}");
        if (inImageInfo != actual)
            problems.Add($"uk_image_info records sha256:{inImageInfo}, the image's loaded segments hash to sha256:{actual}");
        return problems.Count == 0
            ? new Result(Status.Matches, json, count, specVersion, $"SBOM matches the image: sha256:{actual} (CycloneDX {specVersion}, {count} components)")
            : new Result(Status.Mismatch, json, count, specVersion, "SBOM does not match the image: " + string.Join("; ", problems));
    }

    /// <summary>The image hash as the linker computes it (formats/Host/ImageHashMessage.cs), in lower-case hex.</summary>
    public static string ComputeImageHash(ReadOnlySpan<byte> elf, long hashFieldOffset)
    {
        var sink = new Sha256Sink();
        ImageHashMessage.Feed(elf, hashFieldOffset, sink);
        return Convert.ToHexStringLower(sink.Hash.GetHashAndReset());
    }

    private sealed class Sha256Sink : IImageHashSink
    {
        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public void Append(ReadOnlySpan<byte> bytes) => Hash.AppendData(bytes);
    }

    private static string? ImageSha256(JsonElement root)
    {
        if (!root.TryGetProperty("metadata", out var metadata) || !metadata.TryGetProperty("component", out var component)
            || !component.TryGetProperty("hashes", out var hashes) || hashes.ValueKind != JsonValueKind.Array)
            return null;
        foreach (var hash in hashes.EnumerateArray())
            if (hash.TryGetProperty("alg", out var alg) && alg.GetString() == "SHA-256" && hash.TryGetProperty("content", out var content))
                return content.GetString()?.ToLowerInvariant();
        return null;
    }

    /// <summary>Every component, nested ones included.</summary>
    private static int CountComponents(JsonElement components)
    {
        if (components.ValueKind != JsonValueKind.Array) return 0;
        int count = 0;
        foreach (var component in components.EnumerateArray())
        {
            count++;
            if (component.ValueKind == JsonValueKind.Object && component.TryGetProperty("components", out var children))
                count += CountComponents(children);
        }
        return count;
    }
}
