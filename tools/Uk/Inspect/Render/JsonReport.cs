using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unikernel.Tools.Inspect.Render;

/// <summary>
/// `uk inspect --json`: the report as one JSON object (format "uk-inspect/1"; fields are only ever added). Sizes are
/// numbers of bytes, addresses hex strings; parts nest as in the table (with every child: archive members, assemblies
/// and their namespaces); assemblies and namespaces are listed in full, largest first; "files" lists every entry of the
/// image's file system (null for an image without one). A part's "fileBytes" are its bytes in the uncompressed ELF file
/// (image.fileSize: for a compressed image, the expanded one), "imageBytes" in the file as it is (they add up to
/// image.imageBytes; a compressed part's share of the payload, as the text report's note under its table says),
/// "expandedBytes" with the payload and uk_files' packed files expanded (adding up to image.expandedBytes); "percent"
/// is of image.fileSize.
/// </summary>
public static class JsonReport
{
    public const string Format = "uk-inspect/1";

    public static JsonObject Build(ImageReport report)
    {
        ulong fileSize = (ulong)report.FileSize;
        var info = report.ImageInfo;
        return new JsonObject
        {
            ["format"] = Format,
            ["image"] = new JsonObject
            {
                ["path"] = report.ImagePath,
                ["fileSize"] = report.FileSize,
                ["imageBytes"] = report.ImageFileSize,
                ["expandedBytes"] = report.ExpandedSize,
                ["loadedSize"] = report.LoadedSize,
                ["entry"] = Hex(report.Entry),
                ["bootable"] = report.Bootable,
            },
            ["compression"] = report.Compression is not { } compression ? null : new JsonObject
            {
                ["codec"] = "lz4-block",
                ["fileSize"] = compression.FileSize,
                ["expandedFileSize"] = compression.ExpandedFileSize,
                ["payloadSize"] = compression.PayloadBytes,
                ["expandedSize"] = compression.ExpandedBytes,
                ["segments"] = new JsonArray(compression.Segments.Select(segment => (JsonNode)new JsonObject
                {
                    ["address"] = Hex(segment.Address), ["flags"] = segment.Flags, ["holds"] = segment.Holds,
                    ["size"] = segment.Bytes, ["compressedSize"] = segment.CompressedBytes,
                }).ToArray()),
            },
            ["map"] = report.MapPath,
            ["app"] = report.AppPath,
            ["appMap"] = report.AppMapPath,
            ["symbolsFile"] = report.SymbolsFilePath,
            ["imageInfo"] = new JsonObject
            {
                ["status"] = info.Status switch
                {
                    ImageInfoReader.Status.Present => "present",
                    ImageInfoReader.Status.Malformed => "malformed",
                    _ => "not-present",
                },
                ["problem"] = info.Problem,
                ["formatVersion"] = info.Info?.FormatVersion,
                ["app"] = info.Info?.AppName,
                ["version"] = info.Info?.Version,
                ["contentHash"] = info.Info?.ContentHash,
                ["inputs"] = info.Info is null ? null : new JsonArray(info.Info.Inputs.Select(i => (JsonNode?)i).ToArray()),
                ["entries"] = info.Info is null ? null : new JsonArray(info.Info.Entries.Select(e => (JsonNode?)new JsonObject { ["key"] = e.Key, ["value"] = e.Value }).ToArray()),
            },
            ["sbom"] = report.Sbom.Status == SbomReader.Status.NotPresent ? null : new JsonObject
            {
                ["status"] = report.Sbom.Status switch
                {
                    SbomReader.Status.Matches => "matches",
                    SbomReader.Status.Mismatch => "mismatch",
                    _ => "malformed",
                },
                ["specVersion"] = report.Sbom.SpecVersion,
                ["components"] = report.Sbom.ComponentCount,
                ["message"] = report.Sbom.Message,
            },
            ["files"] = report.Files.FileSystem is not { } fs
                ? (report.Files.Problem is null ? null : new JsonObject { ["problem"] = report.Files.Problem })
                : new JsonObject
                {
                    ["sectionSize"] = fs.SectionSize,
                    ["dataBytes"] = fs.DataBytes,
                    ["packed"] = fs.Packed is not { } packed ? null : new JsonObject
                    {
                        ["files"] = packed.FileCount, ["expandedBytes"] = packed.ExpandedBytes, ["blocks"] = packed.BlockCount,
                        ["blockSize"] = packed.BlockSize, ["storedBytes"] = packed.StoredBytes,
                    },
                    ["executable"] = fs.ExecutablePath,
                    ["entries"] = new JsonArray(fs.Entries.Select(e => (JsonNode?)new JsonObject
                    {
                        ["path"] = e.Path, ["type"] = e.Type, ["size"] = e.Size,
                    }).ToArray()),
                },
            ["segments"] = new JsonArray(report.Segments.Select(s => (JsonNode?)new JsonObject
            {
                ["owner"] = s.Owner, ["flags"] = s.Flags, ["address"] = Hex(s.Address), ["offset"] = Hex(s.Offset),
                ["fileSize"] = s.FileSize, ["memorySize"] = s.MemorySize,
            }).ToArray()),
            ["parts"] = new JsonArray(report.Parts.Select(p => (JsonNode?)PartNode(p, fileSize)).ToArray()),
            ["functions"] = new JsonObject
            {
                ["kernel"] = report.KernelFunctions, ["app"] = report.AppFunctions,
                ["managed"] = report.ManagedFunctions, ["managedBytes"] = report.ManagedCodeBytes,
            },
            ["assemblies"] = new JsonArray(report.Assemblies.Select(a => (JsonNode?)new JsonObject
            {
                ["name"] = a.Assembly, ["bytes"] = a.Bytes, ["functions"] = a.Functions, ["percent"] = Percent(a.Bytes, report.ManagedCodeBytes),
            }).ToArray()),
            ["namespaces"] = new JsonArray(report.Namespaces.Select(n => (JsonNode?)new JsonObject
            {
                ["assembly"] = n.Assembly, ["namespace"] = n.Namespace, ["bytes"] = n.Bytes, ["functions"] = n.Functions,
                ["percent"] = Percent(n.Bytes, report.ManagedCodeBytes),
            }).ToArray()),
            ["notes"] = new JsonArray(report.Notes.Select(n => (JsonNode?)n).ToArray()),
        };
    }

    public static void Write(ImageReport report, TextWriter output)
        => output.WriteLine(Build(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private static JsonObject PartNode(Part p, ulong fileSize)
    {
        var node = new JsonObject
        {
            ["name"] = p.Name, ["kind"] = p.Kind, ["fileBytes"] = p.FileBytes, ["imageBytes"] = p.ImageBytes, ["expandedBytes"] = p.ExpandedBytes,
            ["memoryBytes"] = p.MemoryBytes,
            ["percent"] = Percent(p.FileBytes, fileSize),
        };
        if (p.Detail is not null) node["detail"] = p.Detail;
        if (p.Children.Count > 0) node["children"] = new JsonArray(p.Children.Select(c => (JsonNode?)PartNode(c, fileSize)).ToArray());
        return node;
    }

    private static double Percent(ulong part, ulong whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2);
    private static string Hex(ulong v) => "0x" + v.ToString("x");
}
