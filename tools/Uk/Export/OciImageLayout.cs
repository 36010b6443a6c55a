using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Unikernel.Tools.Export;

/// <summary>
/// A KubeVirt containerDisk as an OCI image layout (OCI Image Format Specification v1.1: image-layout.md, manifest.md,
/// config.md, layer.md): a directory holding `oci-layout`, `index.json` and content-addressed `blobs/sha256/`, which
/// `skopeo copy oci:DIR:TAG docker://REGISTRY/REPO:TAG` pushes to a registry. The image has one gzip'ed tar layer with
/// the disk at /disk/FILE, the place KubeVirt's container-disk binary serves the disk from, owned by uid and gid 107
/// (qemu in virt-launcher) and read-only; every time recorded is the disk format's fixed timestamp, so the same disk
/// gives the same digests.
/// </summary>
public static class OciImageLayout
{
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// <summary>KubeVirt's qemu user and group in virt-launcher.</summary>
    public const int QemuId = 107;
    public const string DiskDirectory = "disk";

    /// <summary>Everything the layout holds: file paths relative to its directory, and their bytes.</summary>
    public sealed record Layout(IReadOnlyList<(string Path, byte[] Contents)> Files, string ManifestDigest);

    /// <param name="diskFileName">The disk's name inside /disk (e.g. hello.qcow2).</param>
    /// <param name="tag">The tag in index.json (org.opencontainers.image.ref.name): what oci:DIR:TAG names.</param>
    public static Layout Build(string diskFileName, ReadOnlySpan<byte> disk, string tag, DateTimeOffset created)
    {
        byte[] tar = LayerTar(diskFileName, disk, created);
        byte[] layer = Gzip(tar);
        byte[] config = Json(json =>
        {
            json.WriteString("created", Timestamp(created));
            json.WriteString("architecture", "amd64");
            json.WriteString("os", "linux");
            json.WriteStartObject("config");
            json.WriteEndObject();
            json.WriteStartObject("rootfs");
            json.WriteString("type", "layers");
            json.WriteStartArray("diff_ids");
            json.WriteStringValue(Digest(tar));
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("history");
            json.WriteStartObject();
            json.WriteString("created", Timestamp(created));
            json.WriteString("created_by", $"uk export kubevirt: /{DiskDirectory}/{diskFileName}");
            json.WriteEndObject();
            json.WriteEndArray();
        });
        byte[] manifest = Json(json =>
        {
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", ManifestMediaType);
            Descriptor(json, "config", ConfigMediaType, config);
            json.WriteStartArray("layers");
            Descriptor(json, null, LayerMediaType, layer);
            json.WriteEndArray();
        });
        byte[] index = Json(json =>
        {
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", IndexMediaType);
            json.WriteStartArray("manifests");
            json.WriteStartObject();
            json.WriteString("mediaType", ManifestMediaType);
            json.WriteString("digest", Digest(manifest));
            json.WriteNumber("size", manifest.Length);
            json.WriteStartObject("platform");
            json.WriteString("architecture", "amd64");
            json.WriteString("os", "linux");
            json.WriteEndObject();
            json.WriteStartObject("annotations");
            json.WriteString("org.opencontainers.image.ref.name", tag);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        });
        var files = new List<(string, byte[])>
        {
            ("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}")),
            ("index.json", index),
            (BlobPath(manifest), manifest),
            (BlobPath(config), config),
            (BlobPath(layer), layer),
        };
        return new Layout(files, Digest(manifest));
    }

    /// <summary>The layer's uncompressed tar: /disk (a directory) and the disk in it, both owned by 107:107.</summary>
    public static byte[] LayerTar(string diskFileName, ReadOnlySpan<byte> disk, DateTimeOffset created)
    {
        using var buffer = new MemoryStream();
        var tar = new TarArchive(buffer);
        tar.AddDirectory(DiskDirectory, 0b101_101_101, QemuId, QemuId, created);
        tar.AddFile($"{DiskDirectory}/{diskFileName}", 0b100_100_100, QemuId, QemuId, created, disk);
        tar.Finish();
        return buffer.ToArray();
    }

    public static string Digest(ReadOnlySpan<byte> blob) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));

    private static string BlobPath(byte[] blob) => "blobs/sha256/" + Digest(blob)["sha256:".Length..];

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static void Descriptor(Utf8JsonWriter json, string? property, string mediaType, byte[] blob)
    {
        if (property is null) json.WriteStartObject(); else json.WriteStartObject(property);
        json.WriteString("mediaType", mediaType);
        json.WriteString("digest", Digest(blob));
        json.WriteNumber("size", blob.Length);
        json.WriteEndObject();
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }
}
