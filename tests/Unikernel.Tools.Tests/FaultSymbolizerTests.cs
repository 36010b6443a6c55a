using Unikernel.Tools.Inspect;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

/// <summary>
/// The function table beside the image (IMAGE.syms): `uk run` names the bare addresses of the kernel's fault reports
/// with it, exactly as the kernel names them from a table in the image, and `uk inspect` reads it; a table of another
/// build is refused with one line.
/// </summary>
public class FaultSymbolizerTests
{
    private static string ImageWithTableBeside(TempDirectory dir, out byte[] image)
    {
        string path = InspectTests.SyntheticElf(withApp: true, tableBeside: true).WriteTo(dir.File("hello.img"));
        image = File.ReadAllBytes(path);
        File.WriteAllBytes(path + ".syms", KernelSymbolTable.BuildSideFile(image, InspectTests.Functions));
        return path;
    }

    [Fact]
    public void BareLocationsInKernelLinesGetTheKernelsNameAndOffset()
    {
        using var dir = new TempDirectory();
        var problems = new List<string>();
        var symbolizer = FaultSymbolizer.ForImage(ImageWithTableBeside(dir, out _), problems.Add)!;

        // The kernel's own formats (Diagnostics/StackTrace.cs, Panic.cs, AppFaultReport.cs), as it writes them without a table.
        Assert.Equal("uk:   #0 0x0000000000401105 app:hello_Program__Main+0x5", symbolizer.Symbolize("uk:   #0 0x0000000000401105"));
        Assert.Equal("uk:   #12 0x0000000000101010 Kernel_Kernel_Boot_KernelEntry__Main+0x10", symbolizer.Symbolize("uk:   #12 0x0000000000101010"));
        Assert.Equal("uk:   at 0x0000000000401300 app:strlen+0x0", symbolizer.Symbolize("uk:   at 0x0000000000401300"));
        Assert.Equal("uk:   thrown at 0x0000000000101000 Kernel_Kernel_Boot_KernelEntry__Main+0x0",
                     symbolizer.Symbolize("uk:   thrown at 0x0000000000101000"));
        Assert.Equal("uk: panic: CPU exception #PF (page fault, vector 14) at 0x0000000000401010 app:S_P_CoreLib_System_String__Concat+0x10",
                     symbolizer.Symbolize("uk: panic: CPU exception #PF (page fault, vector 14) at 0x0000000000401010"));
        Assert.Equal("uk: breakpoint (#BP) at 0x0000000000100000 uk_pvh_entry+0x0; continuing",
                     symbolizer.Symbolize("uk: breakpoint (#BP) at 0x0000000000100000; continuing"));

        // Named already (a table in the image), no function there, or not a code location: unchanged.
        foreach (string line in new[]
        {
            "uk:   #0 0x0000000000401105 app:hello_Program__Main+0x5",
            "uk:   #1 0x0000000000401f00",                                 // past strlen's size
            "uk:   #2 0x0000000000000010",                                 // below every function
            "uk:   rax=0x0000000000401105 rbx=0x0000000000000000",          // a register is not a location
            "uk: app terminated by SIGSEGV (signal 11), fault address 0x401105 in thread 1",
        })
            Assert.Equal(line, symbolizer.Symbolize(line));
        Assert.Empty(problems);
    }

    [Fact]
    public void ATableOfAnotherBuildIsRefusedOnceAndTheLinesStayBare()
    {
        using var dir = new TempDirectory();
        string image = ImageWithTableBeside(dir, out byte[] bytes);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(image, bytes);
        var problems = new List<string>();
        var symbolizer = FaultSymbolizer.ForImage(image, problems.Add)!;

        Assert.Equal("uk:   #0 0x0000000000401105", symbolizer.Symbolize("uk:   #0 0x0000000000401105"));
        Assert.Equal("uk:   #1 0x0000000000401106", symbolizer.Symbolize("uk:   #1 0x0000000000401106"));
        var problem = Assert.Single(problems);
        Assert.Contains("hello.img.syms: belongs to another build of the image", problem);
    }

    [Fact]
    public void WithoutATableBesideTheImageThereIsNoSymbolizer()
    {
        using var dir = new TempDirectory();
        string image = InspectTests.SyntheticElf(withApp: true).WriteTo(dir.File("plain.img"));
        Assert.Null(FaultSymbolizer.ForImage(image));
    }

    [Fact]
    public void UkSymbolizeNamesTheKernelLinesOfALog()
    {
        using var dir = new TempDirectory();
        string image = ImageWithTableBeside(dir, out _);
        string log = dir.File("console.log");
        File.WriteAllLines(log, ["Hello at 0x0000000000401105", "uk:   #0 0x0000000000401105", "uk:   at 0x0000000000401300"]);
        var output = new StringWriter();
        var error = new StringWriter();
        int status = Unikernel.Tools.Cli.UkCommandLine.Invoke(["symbolize", image, log], Unikernel.Tools.Cli.UkConsole.Plain(output, error));
        Assert.True(status == 0, error.ToString());
        Assert.Equal(["Hello at 0x0000000000401105", "uk:   #0 0x0000000000401105 app:hello_Program__Main+0x5", "uk:   at 0x0000000000401300 app:strlen+0x0"],
                     output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));

        File.WriteAllBytes(image + ".syms", KernelSymbolTable.BuildSideFile([9], InspectTests.Functions));
        error = new StringWriter();
        Assert.Equal(1, Unikernel.Tools.Cli.UkCommandLine.Invoke(["symbolize", image, log], Unikernel.Tools.Cli.UkConsole.Plain(new StringWriter(), error)));
        Assert.Contains("belongs to another build of the image", error.ToString());
    }

    [Fact]
    public void InspectReadsTheTableBesideTheImage()
    {
        using var dir = new TempDirectory();
        string image = ImageWithTableBeside(dir, out _);
        var report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });
        Assert.Equal(2, report.KernelFunctions);
        Assert.Equal(5, report.AppFunctions);
        Assert.Equal(image + ".syms", report.SymbolsFilePath);
        var text = new StringWriter();
        Unikernel.Tools.Inspect.Render.TextReport.Write(report, text, new Unikernel.Tools.Cli.TerminalStyle(false));
        Assert.Contains("2 kernel, 5 app (beside the image: ", text.ToString());

        // Another build's table: the image's own (empty) table, and a note saying why.
        File.WriteAllBytes(image + ".syms", KernelSymbolTable.BuildSideFile([1, 2, 3], InspectTests.Functions));
        report = ImageAnalyzer.Analyze(image, new InspectOptions { CurrentDirectory = dir.Path });
        Assert.Equal(0, report.KernelFunctions + report.AppFunctions);
        Assert.Contains(report.Notes, n => n.Contains("hello.img.syms: belongs to another build of the image"));
    }
}
