namespace Unikernel.Linker.Tests;

/// <summary>
/// Link units in a running program: a static musl executable made of unit "app" (crt, libc, its own
/// <c>helper</c>/<c>counter</c>/<c>mysec</c>) and unit "kernel" (a different <c>helper</c>/<c>counter</c>/<c>mysec</c>,
/// exporting <c>kernel_service</c> and <c>kernel_count</c>).
/// </summary>
public sealed class LinkUnitExecutableTests : IDisposable
{
    private readonly MuslToolchain _toolchain = new();

    public void Dispose() => _toolchain.Dispose();

    private const string AppMain = """
        #include <stdio.h>
        int helper(void);
        int kernel_service(int);
        int kernel_count(void);
        extern int counter;
        extern const int __start_mysec[], __stop_mysec[];
        static const int mine[2] __attribute__((section("mysec"), used)) = { 1, 2 };
        int main(void) {
            int a = helper();
            int k = kernel_service(5);
            int b = helper();
            printf("app helper %d %d, kernel_service %d, app counter %d, mysec app %d kernel %d\n",
                   a, b, k, counter, (int)(__stop_mysec - __start_mysec), kernel_count());
            return 0;
        }
        """;

    private const string AppHelper = "int counter = 0; int helper(void) { return ++counter; }\n";

    private const string Kernel = """
        int helper(void);
        extern const int __start_mysec[], __stop_mysec[];
        static const int mine[3] __attribute__((section("mysec"), used)) = { 7, 8, 9 };
        int kernel_service(int x) { return helper() + x; }
        int kernel_count(void) { return (int)(__stop_mysec - __start_mysec); }
        """;

    private const string KernelHelper = "int counter = 100; int helper(void) { return counter += 1000; }\n";

    private string Compile(string name, string source)
    {
        string c = Path.Combine(_toolchain.Directory, name + ".c");
        string o = Path.Combine(_toolchain.Directory, name + ".o");
        File.WriteAllText(c, source);
        MuslToolchain.Run("musl-gcc", ["-c", "-O1", "-fno-pie", "-fno-inline", "-ffunction-sections", "-fdata-sections", "-o", o, c]);
        return o;
    }

    [MuslTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void EachUnitCallsItsOwnHelperAndSeesItsOwnSection(bool gcSections)
    {
        string output = Path.Combine(_toolchain.Directory, gcSections ? "units-gc" : "units");
        string[] app = [Compile("app", AppMain), Compile("app_helper", AppHelper)];
        string[] kernel = [Compile("kernel", Kernel), Compile("kernel_helper", KernelHelper)];
        string[] args =
        [
            "-static", .. gcSections ? new[] { "--gc-sections" } : [], "-o", output, "--map", output + ".map",
            "--unit", "app", .. MuslToolchain.StartFiles, .. app, .. MuslToolchain.Libraries, .. MuslToolchain.EndFiles,
            "--unit", "kernel", "--export", "kernel_service", "--export", "kernel_count", .. kernel,
        ];

        Linker.LinkToFiles(CommandLine.Parse(args)!);
        var (exitCode, stdout, stderr) = MuslToolchain.Execute(output);

        Assert.True(exitCode == 0, stderr);
        // app's helper counts 1, 2 on its own counter; the kernel's helper adds 1000 to its own (100 + 1000 + 5).
        Assert.Equal("app helper 1 2, kernel_service 1105, app counter 2, mysec app 2 kernel 3\n", stdout);
    }
}

/// <summary>A theory that needs musl-gcc and GNU ld; skipped with the reason when they are not installed.</summary>
public sealed class MuslTheoryAttribute : TheoryAttribute
{
    public MuslTheoryAttribute()
    {
        if (!MuslToolchain.IsAvailable)
            Skip = MuslToolchain.SkipReason;
    }
}
