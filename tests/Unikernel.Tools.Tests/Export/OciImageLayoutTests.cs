using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

public class OciImageLayoutTests
{
    private static readonly DateTimeOffset Time = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Disk-like bytes: mostly zeros with some data, as a qcow2 is.</summary>
    private static byte[] Disk()
    {
        var disk = new byte[3 << 20];
        new Random(15).NextBytes(disk.AsSpan(0, 200_000));
        return disk;
    }

    private static string WriteLayout(TempDirectory dir, byte[] disk, string tag = "1.0")
    {
        string root = dir.File("layout");
        foreach (var (path, contents) in OciImageLayout.Build("hello.qcow2", disk, tag, Time).Files)
        {
            string file = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, contents);
        }
        return root;
    }

    private static JsonElement Json(byte[] bytes) => JsonDocument.Parse(bytes).RootElement;

    [Fact]
    public void EveryBlobIsNamedByItsDigestAndTheDescriptorsPointAtThem()
    {
        var layout = OciImageLayout.Build("hello.qcow2", Disk(), "1.0", Time);
        var files = layout.Files.ToDictionary(f => f.Path, f => f.Contents);
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", System.Text.Encoding.UTF8.GetString(files["oci-layout"]));
        foreach (var (path, contents) in files.Where(f => f.Key.StartsWith("blobs/")))
            Assert.Equal(path["blobs/sha256/".Length..], Convert.ToHexStringLower(SHA256.HashData(contents)));

        var index = Json(files["index.json"]);
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        var entry = index.GetProperty("manifests").EnumerateArray().Single();
        Assert.Equal("1.0", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        byte[] manifestBytes = Blob(files, entry);
        Assert.Equal(layout.ManifestDigest, entry.GetProperty("digest").GetString());
        var manifest = Json(manifestBytes);
        Assert.Equal(OciImageLayout.ManifestMediaType, manifest.GetProperty("mediaType").GetString());
        var config = Json(Blob(files, manifest.GetProperty("config")));
        Assert.Equal("amd64", config.GetProperty("architecture").GetString());
        Assert.Equal("linux", config.GetProperty("os").GetString());
        var layerDescriptor = manifest.GetProperty("layers").EnumerateArray().Single();
        Assert.Equal(OciImageLayout.LayerMediaType, layerDescriptor.GetProperty("mediaType").GetString());

        // The config's diff_id is the digest of the uncompressed layer.
        using var gzip = new GZipStream(new MemoryStream(Blob(files, layerDescriptor)), CompressionMode.Decompress);
        using var tar = new MemoryStream();
        gzip.CopyTo(tar);
        Assert.Equal(OciImageLayout.Digest(tar.ToArray()), config.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString());
    }

    private static byte[] Blob(Dictionary<string, byte[]> files, JsonElement descriptor)
    {
        string digest = descriptor.GetProperty("digest").GetString()!;
        byte[] blob = files["blobs/sha256/" + digest["sha256:".Length..]];
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), blob.Length);
        return blob;
    }

    [Fact]
    public void TheSameDiskGivesTheSameBytesAndAnotherDiskOtherDigests()
    {
        var disk = Disk();
        var first = OciImageLayout.Build("hello.qcow2", disk, "1.0", Time);
        var second = OciImageLayout.Build("hello.qcow2", disk, "1.0", Time);
        Assert.Equal(first.Files.Select(f => (f.Path, Convert.ToHexString(f.Contents))), second.Files.Select(f => (f.Path, Convert.ToHexString(f.Contents))));
        disk[^1] = 1;
        Assert.NotEqual(first.ManifestDigest, OciImageLayout.Build("hello.qcow2", disk, "1.0", Time).ManifestDigest);
    }

    [SkippableFact]
    public void SkopeoInspectsTheLayout()
    {
        Skip.IfNot(ExportTestSupport.Installed("/usr/bin/skopeo"), "skopeo is not installed (Debian skopeo; make setup installs it)");
        using var dir = new TempDirectory();
        var disk = Disk();
        string root = WriteLayout(dir, disk);
        var (status, output, error) = ExportTestSupport.Run("/usr/bin/skopeo", ["inspect", $"oci:{root}:1.0"]);
        Assert.True(status == 0, $"skopeo inspect: {error}");
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal(OciImageLayout.Build("hello.qcow2", disk, "1.0", Time).ManifestDigest, report.GetProperty("Digest").GetString());
        Assert.Equal("amd64", report.GetProperty("Architecture").GetString());
        Assert.Equal("linux", report.GetProperty("Os").GetString());
        Assert.Equal(1, report.GetProperty("Layers").GetArrayLength());

        // skopeo copy re-reads every blob and checks it against its digest: the form a push to a registry takes.
        var (copied, _, copyError) = ExportTestSupport.Run("/usr/bin/skopeo", ["copy", $"oci:{root}:1.0", $"dir:{dir.File("copy")}"]);
        Assert.True(copied == 0, $"skopeo copy: {copyError}");
    }

    [SkippableFact]
    public void UmociUnpacksTheDiskByteForByteOwnedByQemu()
    {
        Skip.IfNot(ExportTestSupport.Installed("/usr/bin/umoci"), "umoci is not installed (Debian umoci; make setup installs it)");
        using var dir = new TempDirectory();
        var disk = Disk();
        string root = WriteLayout(dir, disk, "latest");
        string bundle = dir.File("bundle");
        bool rootUser = Environment.UserName == "root";
        var args = new List<string> { "unpack", "--image", $"{root}:latest", bundle };
        if (!rootUser) args.Insert(1, "--rootless");
        var (status, _, error) = ExportTestSupport.Run("/usr/bin/umoci", args);
        Assert.True(status == 0, $"umoci unpack: {error}");
        string unpacked = Path.Combine(bundle, "rootfs", "disk", "hello.qcow2");
        Assert.Equal(disk, File.ReadAllBytes(unpacked));
        Assert.Equal(["hello.qcow2"], Directory.GetFileSystemEntries(Path.Combine(bundle, "rootfs", "disk")).Select(Path.GetFileName));
        if (rootUser)
        {
            var (statStatus, owner, _) = ExportTestSupport.Run("/usr/bin/stat", ["-c", "%u:%g %a", unpacked, Path.GetDirectoryName(unpacked)!]);
            Assert.Equal(0, statStatus);
            Assert.Equal("107:107 444\n107:107 555\n", owner);
        }
    }
}
