using System.Diagnostics;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Publishes the NativeAOT test apps once per test run, the way a user would (`dotnet publish` with
/// linker/msbuild/Unikernel.Linker.targets), with every C compiler and linker removed from PATH; and
/// links the same inputs with GNU ld as the reference (tests only).
/// </summary>
public sealed class PublishedNativeAotApps : IDisposable
{
    /// <param name="Objects">Plain objects of our link, in order (crtn.o last), with a stable copy of the shim.</param>
    /// <param name="Archives">The archives our link pulled members from, in first-use order.</param>
    public sealed record App(string Name, string OursPath, string ReferencePath, string MapPath,
                             IReadOnlyList<string> Objects, IReadOnlyList<string> Archives);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "uk-aot-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, App> _apps = [];

    public static string RepositoryRoot { get; } = FindRoot();

    public App Get(string projectDirectory)
    {
        lock (_apps)
        {
            if (!_apps.TryGetValue(projectDirectory, out var app))
                _apps[projectDirectory] = app = Publish(projectDirectory);
            return app;
        }
    }

    private App Publish(string projectDirectory)
    {
        string name = Path.GetFileName(projectDirectory);
        string artifacts = Path.Combine(Root, name);
        var publish = new ProcessStartInfo("dotnet", ["publish", Path.Combine(RepositoryRoot, projectDirectory), "-c", "Release", $"-p:ArtifactsPath={artifacts}", "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        publish.Environment["PATH"] = PathWithoutCToolchain();
        var (code, stdout, stderr) = Run(publish);
        Assert.True(code == 0, $"dotnet publish {projectDirectory} failed ({code}):\n{stdout}\n{stderr}");

        string ours = Path.Combine(artifacts, "publish", name, "release_linux-x64", name);
        string map = Path.Combine(artifacts, "bin", name, "release_linux-x64", "native", name + ".map");
        Assert.True(File.Exists(ours), $"no executable at {ours}:\n{stdout}");
        Assert.True(File.Exists(map), $"no link map at {map}");
        var (objects, archives) = InputsOf(map, artifacts);
        return new App(name, ours, LinkReference(name, objects, archives, artifacts), map, objects, archives);
    }

    /// <summary>The inputs our link used, read back from its link map.</summary>
    private static (List<string> Objects, List<string> Archives) InputsOf(string mapPath, string artifacts)
    {
        string shim = Path.Combine(artifacts, "glibc-compat.o");
        File.WriteAllBytes(shim, Unikernel.Boot.ElfObjectWriter.Write(Unikernel.Boot.GlibcCompatShim.Build()));
        var inputs = Unikernel.Linker.Output.LinkMapInputs.Read(mapPath);
        // uk-cc's shim was a temporary file; the reference gets its own copy of the same object.
        var objects = inputs.Objects.Select(o => o.Contains("uk-cc-glibc-compat") ? shim : o).ToList();
        var archives = inputs.Archives.ToList();
        string crtn = objects.Single(o => o.EndsWith("crtn.o"));
        objects.Remove(crtn);
        objects.Add(crtn);
        return (objects, archives);
    }

    /// <summary>GNU ld on exactly the inputs our link used, with the options uk-cc gets from NativeAOT (the stack
    /// size is Unikernel.Linker.targets' IlcDefaultStackSize).</summary>
    private static string LinkReference(string name, IReadOnlyList<string> ourObjects, IReadOnlyList<string> archives, string artifacts)
    {
        var objects = ourObjects.ToList();
        string crtn = objects[^1];
        objects.RemoveAt(objects.Count - 1);
        // The reference is what musl-gcc -static would do: gcc's crtbeginT.o/crtend.o around the
        // inputs (they define __dso_handle, which our linker provides itself).
        objects.Insert(objects.FindIndex(o => o.EndsWith("crti.o")) + 1, Path.Combine(MuslToolchain.GccLib, "crtbeginT.o"));
        string output = Path.Combine(artifacts, name + ".gnu-ld");
        var ld = new ProcessStartInfo("ld", ["-static", "--gc-sections", "--eh-frame-hdr", "--build-id", "-z", "stack-size=1572864", "-o", output,
                                             .. objects, "--start-group", .. archives, "--end-group",
                                             Path.Combine(MuslToolchain.GccLib, "crtend.o"), crtn])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        var (code, stdout, stderr) = Run(ld);
        Assert.True(code == 0, $"GNU ld reference link failed ({code}):\n{stdout}\n{stderr}");
        return output;
    }

    /// <summary>PATH with gcc, clang, ld and friends left out: proves the publish needs no C toolchain.</summary>
    private string PathWithoutCToolchain()
    {
        string bin = Path.Combine(Root, "path-without-c-toolchain");
        if (Directory.Exists(bin)) return bin + ":" + Path.GetDirectoryName(Environment.ProcessPath);
        Directory.CreateDirectory(bin);
        string[] excluded = ["gcc", "cc", "c++", "g++", "clang", "ld", "as", "cpp", "musl-gcc", "gold", "lld", "ar", "ranlib", "objcopy", "strip", "nm"];
        foreach (var dir in new[] { "/usr/bin", "/bin" })
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                string n = Path.GetFileName(file);
                bool isToolchain = excluded.Any(t => n == t || n.StartsWith(t + "-") || n.StartsWith(t + ".")) || n.StartsWith("x86_64-linux-gnu-")
                                   || n.StartsWith("clang") || n.StartsWith("ld.") || n.StartsWith("llvm-");
                string link = Path.Combine(bin, n);
                if (!isToolchain && !File.Exists(link)) File.CreateSymbolicLink(link, file);
            }
        return bin + ":" + Path.GetDirectoryName(Environment.ProcessPath);
    }

    public static (int Code, string Stdout, string Stderr) Run(ProcessStartInfo start)
    {
        using var p = Process.Start(start)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderrTask.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (Unikernel.sln) not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
