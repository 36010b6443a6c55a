using System.Diagnostics;

namespace Unikernel.Linker.Tests;

/// <summary>
/// The reference toolchain for the static-executable tests: musl-gcc compiles the C fixtures (once per
/// test class), GNU ld links the reference programs. Tests only; the product never runs these tools.
/// </summary>
public sealed class MuslToolchain : IDisposable
{
    public const string MuslLib = "/usr/lib/x86_64-linux-musl";
    public const string GccLib = "/usr/lib/gcc/x86_64-linux-gnu/12";
    public const string SkipReason = "musl-gcc or GNU ld missing (apt-get install -y musl-tools binutils)";

    public static bool IsAvailable { get; } = Probe("musl-gcc", "--version") && Probe("ld", "--version")
        && File.Exists(Path.Combine(MuslLib, "libc.a")) && File.Exists(Path.Combine(GccLib, "crtbeginT.o"));

    public static string FixturesDirectory =>
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "Musl");

    public MuslToolchain()
    {
        Directory = Path.Combine(Path.GetTempPath(), "uk-ld-musl", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    private readonly Dictionary<string, string> _objects = [];

    /// <summary>Compiles Fixtures/Musl/NAME.c once (per flags) and returns the object path.</summary>
    public string Object(string name, params string[] extraFlags)
    {
        string key = name + string.Join(' ', extraFlags);
        lock (_objects)
        {
            if (_objects.TryGetValue(key, out var existing))
                return existing;
            string output = Path.Combine(Directory, $"{name}{_objects.Count}.o");
            Run("musl-gcc", ["-c", "-O1", "-fno-pie", "-funwind-tables", .. extraFlags, "-o", output,
                Path.Combine(FixturesDirectory, name + ".c")]);
            _objects.Add(key, output);
            return output;
        }
    }

    /// <summary>Puts objects into a GNU-format archive (ar rcs writes the "/" symbol table).</summary>
    public string Archive(string name, params string[] objects)
    {
        string path = Path.Combine(Directory, name);
        File.Delete(path);
        Run("ar", ["rcs", path, .. objects]);
        return path;
    }

    public static string[] StartFiles =>
        [Path.Combine(MuslLib, "crt1.o"), Path.Combine(MuslLib, "crti.o"), Path.Combine(GccLib, "crtbeginT.o")];

    public static string[] Libraries =>
        ["--start-group", Path.Combine(GccLib, "libgcc.a"), Path.Combine(GccLib, "libgcc_eh.a"),
            Path.Combine(MuslLib, "libc.a"), "--end-group"];

    public static string[] EndFiles => [Path.Combine(GccLib, "crtend.o"), Path.Combine(MuslLib, "crtn.o")];

    /// <summary>The command line both linkers get: the one musl-gcc -static hands to ld, non-PIE start files.</summary>
    public static string[] LinkArguments(string output, string[] options, string[] objects) =>
        ["-static", .. options, "-o", output, .. StartFiles, .. objects, .. Libraries, .. EndFiles];

    public string LinkWithGnuLd(string name, string[] options, params string[] objects)
    {
        string output = Path.Combine(Directory, name + ".ld");
        Run("ld", LinkArguments(output, options, objects));
        return output;
    }

    public string LinkWithUkLd(string name, string[] options, params string[] objects)
    {
        string output = Path.Combine(Directory, name + ".uk");
        var parsed = CommandLine.Parse(LinkArguments(output, options, objects))!;
        Linker.LinkToFiles(parsed);
        return output;
    }

    public static (int ExitCode, string StdOut, string StdErr) Execute(string program)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"{program} did not finish");
        }
        return (process.ExitCode, stdout, stderr.Result);
    }

    public static string Run(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {stderr.Result}");
        return output;
    }

    /// <summary>Whether a reference tool is installed and answers <paramref name="argument"/>.</summary>
    public static bool Probe(string tool, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, argument)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            process!.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A test that needs musl-gcc and GNU ld; skipped with the reason when they are not installed.</summary>
public sealed class MuslFactAttribute : FactAttribute
{
    public MuslFactAttribute()
    {
        if (!MuslToolchain.IsAvailable)
            Skip = MuslToolchain.SkipReason;
    }
}
