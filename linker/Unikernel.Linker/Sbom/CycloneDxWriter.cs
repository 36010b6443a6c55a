using System.Text;
using System.Text.Json;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Linker.Sbom;

/// <summary>What the document says about the image as a whole.</summary>
public sealed record SbomImage(string Name, string Version, byte[] ImageSha256, uint SourceDateEpoch,
    IReadOnlyList<(string Name, string Version)> Tools);

/// <summary>
/// Writes the CycloneDX 1.5 JSON document (docs/sbom.md) with Utf8JsonWriter: no reflection, so it works in the
/// NativeAOT build of uk-ld. The bytes depend only on the inputs: the serial number is a name-based (version 5) UUID of
/// the image hash, the timestamp is SOURCE_DATE_EPOCH (none without it), components keep the order they are given in.
/// </summary>
public static class CycloneDxWriter
{
    // RFC 4122's URL namespace: the name hashed is a URN of the image hash.
    private static readonly byte[] UrlNamespace = Convert.FromHexString("6ba7b8119dad11d180b400c04fd430c8");

    public static byte[] Write(SbomImage image, IReadOnlyList<SbomComponent> components)
    {
        var output = new MemoryStream();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Indented = true, NewLine = "\n",
            // A file for tools, never HTML: apostrophes and quotes stay readable.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteString("bomFormat", "CycloneDX");
            json.WriteString("specVersion", UkSbomFormat.SpecVersion);
            json.WriteString("serialNumber", SerialNumber(image.ImageSha256));
            json.WriteNumber("version", 1);

            json.WriteStartObject("metadata");
            if (image.SourceDateEpoch != 0)
                json.WriteString("timestamp", DateTimeOffset.FromUnixTimeSeconds(image.SourceDateEpoch).UtcDateTime
                    .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("tools");
            json.WriteStartArray("components");
            foreach (var (name, version) in image.Tools)
            {
                json.WriteStartObject();
                json.WriteString("type", "application");
                json.WriteString("name", name);
                json.WriteString("version", version);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("component");
            json.WriteString("type", "application");
            json.WriteString("bom-ref", UkSbomFormat.ImageRef);
            json.WriteString("name", image.Name);
            json.WriteString("version", image.Version);
            json.WriteString("description", "a bootable unikernel image (PVH ELF): the app, the .NET runtime, libc and the kernel");
            WriteHash(json, Convert.ToHexStringLower(image.ImageSha256));
            json.WriteStartArray("properties");
            json.WriteStartObject();
            json.WriteString("name", UkSbomFormat.ImageHashProperty);
            json.WriteString("value", UkSbomFormat.ImageHashDefinition);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartArray("components");
            foreach (var component in components)
                WriteComponent(json, component);
            json.WriteEndArray();

            json.WriteStartArray("dependencies");
            json.WriteStartObject();
            json.WriteString("ref", UkSbomFormat.ImageRef);
            json.WriteStartArray("dependsOn");
            foreach (var component in components)
                if (component.Scope is null)
                    json.WriteStringValue(component.BomRef);
            json.WriteEndArray();
            json.WriteEndObject();
            foreach (var component in components)
            {
                if (component.DependsOn.Count == 0)
                    continue;
                json.WriteStartObject();
                json.WriteString("ref", component.BomRef);
                json.WriteStartArray("dependsOn");
                foreach (string dependency in component.DependsOn)
                    json.WriteStringValue(dependency);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    private static void WriteComponent(Utf8JsonWriter json, SbomComponent component)
    {
        json.WriteStartObject();
        json.WriteString("type", component.Type);
        json.WriteString("bom-ref", component.BomRef);
        json.WriteString("name", component.Name);
        if (component.Version is { Length: > 0 } version)
            json.WriteString("version", version);
        if (component.Description is { Length: > 0 } description)
            json.WriteString("description", description);
        if (component.Scope is { } scope)
            json.WriteString("scope", scope);
        if (component.Sha256 is { } sha256)
            WriteHash(json, sha256);
        if (component.License is { } license)
        {
            json.WriteStartArray("licenses");
            json.WriteStartObject();
            if (license.Expression is { } expression)
            {
                json.WriteString("expression", expression);
            }
            else
            {
                json.WriteStartObject("license");
                json.WriteString("name", license.Name);
                if (license.Url is { } url)
                    json.WriteString("url", url);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndArray();
        }
        if (component.Purl is { } purl)
            json.WriteString("purl", purl);
        if (component.Children.Count > 0)
        {
            json.WriteStartArray("components");
            foreach (var child in component.Children)
                WriteComponent(json, child);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteHash(Utf8JsonWriter json, string sha256)
    {
        json.WriteStartArray("hashes");
        json.WriteStartObject();
        json.WriteString("alg", "SHA-256");
        json.WriteString("content", sha256);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    /// <summary><c>urn:uuid:</c> of the version-5 UUID (RFC 4122 4.3: SHA-1 of namespace and name) named
    /// <c>urn:unikernel:image:sha256:HEX</c>: one image, one serial number, whoever links it.</summary>
    public static string SerialNumber(ReadOnlySpan<byte> imageSha256)
    {
        byte[] name = Encoding.UTF8.GetBytes("urn:unikernel:image:sha256:" + Convert.ToHexStringLower(imageSha256));
        byte[] hash = Sha1.Hash([.. UrlNamespace, .. name]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        string hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
