using System.Text.Json;

namespace Unikernel.Linker.Sbom;

/// <summary>
/// The app's NuGet packages as its restore resolved them: every <c>package</c> library of one target of
/// <c>project.assets.json</c> (the nested linux-x64 publish's), with its exact version, its dependencies, and its licence
/// from the <c>.nuspec</c> in the package folder. Packages that only the build uses (the project's references with
/// <c>suppressParent: All</c>, such as the NativeAOT compiler and the trimmer, and what only they depend on) get scope
/// <c>excluded</c>: they made the image but are not in it.
/// </summary>
public static class NuGetPackages
{
    public static string Purl(string id, string version) => $"pkg:nuget/{Uri.EscapeDataString(id)}@{Uri.EscapeDataString(version)}";

    public static List<SbomComponent> FromAssets(string assetsPath, string target, string? skipId)
    {
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(assetsPath);
            document = JsonDocument.Parse(stream);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new LinkerException($"cannot read the NuGet assets file: {error.Message}", file: assetsPath);
        }
        using (document)
        {
            var root = document.RootElement;
            LinkerException Bad(string why) => new(why, file: assetsPath);
            if (!root.TryGetProperty("targets", out var targets) || !targets.TryGetProperty(target, out var libraries))
                throw Bad($"has no target '{target}'");
            string packageFolder = root.TryGetProperty("packageFolders", out var folders)
                ? folders.EnumerateObject().Select(folder => folder.Name).FirstOrDefault() ?? "" : "";

            var versions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var dependencies = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var library in libraries.EnumerateObject())
            {
                if (!library.Value.TryGetProperty("type", out var type) || type.GetString() != "package")
                    continue;
                int slash = library.Name.IndexOf('/');
                if (slash <= 0)
                    throw Bad($"target '{target}' has a library named '{library.Name}', not ID/VERSION");
                string id = library.Name[..slash];
                versions[id] = library.Name[(slash + 1)..];
                dependencies[id] = library.Value.TryGetProperty("dependencies", out var deps)
                    ? deps.EnumerateObject().Select(dep => dep.Name).ToList() : [];
            }

            // What the app itself references (not build-only), and everything that reaches.
            var direct = new List<string>();
            var buildOnly = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            string framework = target.Split('/')[0];
            if (root.TryGetProperty("project", out var project) && project.TryGetProperty("frameworks", out var frameworks)
                && frameworks.TryGetProperty(framework, out var frameworkEntry)
                && frameworkEntry.TryGetProperty("dependencies", out var references))
            {
                foreach (var reference in references.EnumerateObject())
                {
                    bool suppressed = reference.Value.TryGetProperty("suppressParent", out var suppress)
                        && string.Equals(suppress.GetString(), "All", StringComparison.OrdinalIgnoreCase);
                    (suppressed ? (ICollection<string>)buildOnly : direct).Add(reference.Name);
                }
            }
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var pending = new Stack<string>(direct);
            while (pending.TryPop(out string? id))
                if (used.Add(id) && dependencies.TryGetValue(id, out var next))
                    foreach (string dependency in next) pending.Push(dependency);

            var components = new List<SbomComponent>();
            foreach (var (id, version) in versions.OrderBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (string.Equals(id, skipId, StringComparison.OrdinalIgnoreCase))
                    continue;
                string packageDirectory = Path.Combine(packageFolder, id.ToLowerInvariant(), version.ToLowerInvariant());
                var component = Package(id, version, packageDirectory, description: null,
                    scope: used.Contains(id) ? null : "excluded");
                foreach (string dependency in dependencies[id])
                    if (versions.TryGetValue(dependency, out string? dependencyVersion))
                        component.DependsOn.Add(Purl(dependency, dependencyVersion));
                components.Add(component);
            }
            return components;
        }
    }

    /// <summary>A package named only by its folder (a <c>nuget</c> record with empty ID and version): the id and version
    /// its .nuspec states, with NuGet's casing (the folder's name is lower case).</summary>
    public static SbomManifest.NuGetPackage Identify(SbomManifest.NuGetPackage package)
    {
        string[] nuspecs = Directory.Exists(package.PackageDirectory) ? Directory.GetFiles(package.PackageDirectory, "*.nuspec") : [];
        if (nuspecs.Length != 1)
            throw new LinkerException($"a package folder must hold one .nuspec to name the package, this one holds {nuspecs.Length}", file: package.PackageDirectory);
        NuspecLicense.Elements elements;
        try { elements = NuspecLicense.Read(File.ReadAllText(nuspecs[0])); }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentOutOfRangeException or IOException)
        {
            throw new LinkerException($"cannot read the package's id: {error.Message}", file: nuspecs[0]);
        }
        if (elements.Id is not { Length: > 0 } id || elements.Version is not { Length: > 0 } version)
            throw new LinkerException("the .nuspec has no id or version", file: nuspecs[0]);
        return package with { Id = id, Version = version };
    }

    /// <summary>A package component; its licence is read from the .nuspec in <paramref name="packageDirectory"/>.</summary>
    public static SbomComponent Package(string id, string version, string packageDirectory, string? description, string? scope) => new()
    {
        Type = "library",
        Name = id,
        Version = version,
        Purl = Purl(id, version),
        BomRef = Purl(id, version),
        Description = description,
        Scope = scope,
        License = LicenseOf(Path.Combine(packageDirectory, id.ToLowerInvariant() + ".nuspec")),
    };

    /// <summary>
    /// The licence a .nuspec declares: <c>&lt;license type="expression"&gt;</c> (an SPDX expression), <c>type="file"</c>
    /// (a file in the package, named), or only the older <c>&lt;licenseUrl&gt;</c>. null when the file is missing (a
    /// package folder laid out otherwise) or declares none. Read by <see cref="NuspecLicense"/>.
    /// </summary>
    public static SbomLicense? LicenseOf(string nuspecPath)
    {
        if (!File.Exists(nuspecPath))
            return null;
        NuspecLicense.Elements elements;
        try { elements = NuspecLicense.Read(File.ReadAllText(nuspecPath)); }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentOutOfRangeException or IOException)
        {
            throw new LinkerException($"cannot read the package's licence: {error.Message}", file: nuspecPath);
        }
        string? expression = elements.LicenseType == "expression" ? elements.License : null;
        string? file = elements.LicenseType == "file" ? elements.License : null;
        string? url = elements.LicenseUrl;
        if (expression is { Length: > 0 })
            return new SbomLicense(expression);
        if (file is { Length: > 0 })
            return new SbomLicense(null, $"the file {file} in the package", url is { Length: > 0 } ? url : null);
        if (url is { Length: > 0 })
            return new SbomLicense(null, "the licence at the URL", url);
        return null;
    }
}
