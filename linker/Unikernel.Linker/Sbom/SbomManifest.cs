namespace Unikernel.Linker.Sbom;

/// <summary>
/// The input file of <c>uk-ld --sbom MANIFEST</c>, which Unikernel.Sdk writes at publish (docs/sbom.md): what the link
/// cannot see for itself, one tab-separated record a line, the first field its kind (empty lines and <c># ...</c> are
/// ignored):
/// <code>
/// sdk           NAME VERSION NUSPEC          the package of the kernel, boot stub and linkers (NUSPEC may be empty)
/// nuget-assets  PROJECT.ASSETS.JSON TARGET  the app's NuGet packages: that restore's target (net10.0/linux-x64)
/// nuget         ID VERSION PACKAGE-DIR DESCRIPTION   a package the publish used outside the assets file (runtime pack);
///                                           ID and VERSION empty: the ones of the folder's .nuspec
/// app-map       LINK-MAP                    the app's link map: native components count only if it names one of their files
/// components    FILE                        a component list (a file of component records; its FILES are relative to it)
/// component     TYPE NAME VERSION LICENSE PURL FILES DESCRIPTION   one component (FILES: ';'-separated archives, and
///                                           image:PATH entries: files the image carries at or under PATH)
/// </code>
/// A component with FILES counts only if the app's link took one of its archives or the image holds one of its paths.
/// </summary>
public sealed class SbomManifest
{
    public sealed record Sdk(string Name, string Version, string? NuspecPath);
    public sealed record NuGetAssets(string Path, string Target);
    public sealed record NuGetPackage(string Id, string Version, string PackageDirectory, string Description);
    /// <summary>A component record; <see cref="Files"/> are full paths of archives, <see cref="ImagePaths"/> paths in the image.</summary>
    public sealed record NativeComponent(string Type, string Name, string Version, SbomLicense? License, string? Purl,
        IReadOnlyList<string> Files, string Description)
    {
        public IReadOnlyList<string> ImagePaths { get; init; } = [];
    }

    public const string ImagePathPrefix = "image:";

    public Sdk? Package { get; private set; }
    public List<NuGetAssets> Assets { get; } = [];
    public List<NuGetPackage> Packages { get; } = [];
    public List<NativeComponent> Components { get; } = [];
    public string? AppMapPath { get; private set; }

    public static SbomManifest Read(string path)
    {
        var manifest = new SbomManifest();
        manifest.ReadFile(path, allowReferences: true);
        return manifest;
    }

    /// <summary>The purl spec percent-encodes the version; Debian versions have '+' and ':' (epochs). Writers may give
    /// them raw or encoded ('%' is never encoded again).</summary>
    public static string EncodePurlVersion(string purl)
    {
        int at = purl.IndexOf('@');
        if (at < 0)
            return purl;
        int end = purl.IndexOfAny(['?', '#'], at);
        if (end < 0) end = purl.Length;
        string version = purl[(at + 1)..end].Replace("+", "%2B").Replace(":", "%3A").Replace(" ", "%20");
        return purl[..(at + 1)] + version + purl[end..];
    }

    private void ReadFile(string path, bool allowReferences)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot read the SBOM manifest: {error.Message}", file: path);
        }
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            string[] fields = line.Split('\t');
            LinkerException Bad(string why) => new($"line {i + 1}: {why}", file: path);
            void Expect(int count)
            {
                if (fields.Length != count)
                    throw Bad($"a '{fields[0]}' record has {count} tab-separated fields, this one {fields.Length}");
            }
            string Full(string file) => System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, file));
            if (!allowReferences && fields[0] != "component")
                throw Bad($"a component list holds only 'component' records, not '{fields[0]}'");
            switch (fields[0])
            {
                case "sdk":
                    Expect(4);
                    Package = new Sdk(fields[1], fields[2], fields[3].Length == 0 ? null : Full(fields[3]));
                    break;
                case "nuget-assets":
                    Expect(3);
                    Assets.Add(new NuGetAssets(Full(fields[1]), fields[2]));
                    break;
                case "nuget":
                    Expect(5);
                    Packages.Add(new NuGetPackage(fields[1], fields[2], Full(fields[3]), fields[4]));
                    break;
                case "app-map":
                    Expect(2);
                    AppMapPath = Full(fields[1]);
                    break;
                case "components":
                    Expect(2);
                    ReadFile(Full(fields[1]), allowReferences: false);
                    break;
                case "component":
                    Expect(8);
                    if (fields[1].Length == 0 || fields[2].Length == 0)
                        throw Bad("a component needs a type and a name");
                    var files = fields[6].Split(';', StringSplitOptions.RemoveEmptyEntries);
                    Components.Add(new NativeComponent(fields[1], fields[2], fields[3], SbomLicense.FromColumn(fields[4]),
                        fields[5].Length == 0 ? null : EncodePurlVersion(fields[5]),
                        files.Where(f => !f.StartsWith(ImagePathPrefix, StringComparison.Ordinal)).Select(Full).ToList(), fields[7])
                    {
                        ImagePaths = files.Where(f => f.StartsWith(ImagePathPrefix, StringComparison.Ordinal)).Select(f => f[ImagePathPrefix.Length..]).ToList(),
                    });
                    break;
                default:
                    throw Bad($"unknown record '{fields[0]}' (sdk, nuget-assets, nuget, app-map, components, component)");
            }
        }
    }
}
