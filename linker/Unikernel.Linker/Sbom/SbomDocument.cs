namespace Unikernel.Linker.Sbom;

/// <summary>
/// The <c>sbom</c> pass (<c>uk-ld --sbom MANIFEST</c>): after the image hash is stamped, gathers the image's components
/// (the app, the package with the kernel and linkers, the .NET runtime pack, the app's NuGet packages, the prebuilt
/// native libraries the app's link took members from, musl) and writes the CycloneDX document that goes into the
/// image's <c>uk_sbom</c> section. Order: as listed, each group as its source lists it; duplicates (the same purl)
/// appear once.
/// </summary>
public static class SbomDocument
{
    /// <param name="imageFiles">The paths of the image's files (uk_files), for components named by image paths.</param>
    public static byte[] Build(SbomManifest manifest, ImageInfoContentsView image, uint sourceDateEpoch, IReadOnlyCollection<string>? imageFiles = null)
    {
        var components = new List<SbomComponent>();
        var refs = new HashSet<string>(StringComparer.Ordinal);
        void Add(SbomComponent component)
        {
            if (refs.Add(component.BomRef))
                components.Add(component);
        }

        if (image.App is { } app)
            Add(new SbomComponent
            {
                Type = "application", BomRef = "app", Name = image.Name, Version = image.Version, Sha256 = app.Sha256,
                Description = $"the app's static executable ({app.Name}, NativeAOT, linked against musl)",
            });

        var kernelFiles = image.Linked.Select(input => new SbomComponent
        {
            Type = "file", BomRef = "file:" + input.Name, Name = input.Name, Sha256 = input.Sha256,
            Description = "an input of the image link (boot stub, kernel)",
        }).ToList();
        var tools = new List<(string, string)>();
        if (manifest.Package is { } sdk)
        {
            var package = new SbomComponent
            {
                Type = "operating-system", Name = sdk.Name, Version = sdk.Version,
                Purl = NuGetPackages.Purl(sdk.Name, sdk.Version), BomRef = NuGetPackages.Purl(sdk.Name, sdk.Version),
                License = sdk.NuspecPath is null ? null : NuGetPackages.LicenseOf(sdk.NuspecPath),
                Description = "the unikernel: boot stub and kernel (below), and the linkers uk-cc and uk-ld that made the image",
            };
            package.Children.AddRange(kernelFiles);
            Add(package);
            tools.Add(("uk-ld", sdk.Version));
            tools.Add(("uk-cc", sdk.Version));
        }
        else
        {
            kernelFiles.ForEach(Add);
        }

        foreach (var given in manifest.Packages)
        {
            var runtime = given.Id.Length > 0 ? given : NuGetPackages.Identify(given);
            var component = NuGetPackages.Package(runtime.Id, runtime.Version, runtime.PackageDirectory, runtime.Description, scope: null);
            Add(new SbomComponent
            {
                Type = "framework", Name = component.Name, Version = component.Version, Purl = component.Purl,
                BomRef = component.BomRef, License = component.License, Description = component.Description,
            });
        }
        foreach (var assets in manifest.Assets)
            NuGetPackages.FromAssets(assets.Path, assets.Target, skipId: manifest.Package?.Name).ForEach(Add);

        var linked = manifest.AppMapPath is null ? null : LinkedFiles(manifest.AppMapPath);
        foreach (var native in manifest.Components)
        {
            bool named = native.Files.Count > 0 || native.ImagePaths.Count > 0;
            bool linkedIn = linked is not null && native.Files.Any(linked.Contains);
            bool carried = imageFiles is not null && native.ImagePaths.Any(path => imageFiles.Any(file => IsAtOrUnder(file, path)));
            bool unknown = (native.Files.Count > 0 && linked is null) || (native.ImagePaths.Count > 0 && imageFiles is null);
            if (named && !linkedIn && !carried && !unknown)
                continue;
            Add(new SbomComponent
            {
                Type = native.Type, Name = native.Name, Version = native.Version.Length == 0 ? null : native.Version,
                Purl = native.Purl, BomRef = native.Purl ?? $"native:{native.Name}@{native.Version}",
                License = native.License, Description = native.Description,
            });
        }
        return CycloneDxWriter.Write(new SbomImage(image.Name, image.Version, image.ImageSha256, sourceDateEpoch, tools), components);
    }

    /// <summary>The files (archives by their path, not their members) an app's link map names in its <c>file</c>
    /// records (formats/LinkMapFormat.cs).</summary>
    public static HashSet<string> LinkedFiles(string mapPath)
    {
        string[] lines;
        try { lines = File.ReadAllLines(mapPath); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot read the app's link map for the SBOM: {error.Message}", file: mapPath);
        }
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            if (!line.StartsWith(LinkMapFormat.File + "\t", StringComparison.Ordinal))
                continue;
            string path = line.Split('\t')[1];
            // An archive member is named ARCHIVE(MEMBER).
            if (path.EndsWith(')') && path.LastIndexOf('(') is > 0 and int open)
                path = path[..open];
            files.Add(Path.GetFullPath(path));
        }
        return files;
    }

    private static bool IsAtOrUnder(string file, string path) =>
        file == path || file.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal);
}
