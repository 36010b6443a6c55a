using System.Diagnostics;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Benchmarks;

/// <summary>
/// QEMU wall time from process start to the first serial byte and to exit, for our kernel and for the
/// floor (a kernel that writes one byte and exits), runs interleaved so machine noise hits both alike.
/// Plus the guest-instruction cost of booting, which -icount shift=0 makes exact.
/// </summary>
public static partial class BootTimeBenchmark
{
    /// <summary>An image and the first text it writes itself (the pc machine's firmware writes before it).</summary>
    public sealed record Image(string Name, string Path, string FirstText);
    public sealed record Sample(TimeSpan FirstOutput, TimeSpan Exit);

    public static int Run(string root, int runs)
    {
        var images = new[]
        {
            new Image("kernel (C#)", System.IO.Path.Combine(root, "artifacts/images/kernel.elf"), "uk: "),
            new Image("hello app (kernel + .NET app)", System.IO.Path.Combine(root, "artifacts/images/hello.img"), "Hello from a bootable C# app!"),
            new Image("floor (1 byte + exit)", System.IO.Path.Combine(root, "artifacts/images/floor.elf"), "!"),
        };
        foreach (var image in images)
            if (!File.Exists(image.Path)) { Console.Error.WriteLine($"bench: {image.Path} is missing: run 'make build'"); return 1; }

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {QemuVersion()}, TCG, {runs} interleaved runs each");
        Console.WriteLine();
        Console.WriteLine("| image | machine | size (bytes) | first output of the image: median (min-max) | QEMU exit: median (min-max) |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (var machine in new[] { MachineKind.Microvm, MachineKind.Pc })
        {
            var samples = images.ToDictionary(i => i, _ => new List<Sample>());
            for (int run = 0; run < runs + 1; run++)
                foreach (var image in images)
                {
                    var result = Boot(image.Path, machine, icount: false);
                    // The first round warms the page cache and QEMU's own start-up; it is not counted.
                    var first = result.TimeUntil(image.FirstText) ?? throw new InvalidOperationException($"{image.Path} never wrote '{image.FirstText}' on {machine}");
                    if (run > 0) samples[image].Add(new Sample(first, result.WallTime));
                }
            foreach (var image in images)
            {
                var s = samples[image];
                Console.WriteLine($"| {image.Name} | {machine.ToString().ToLowerInvariant()} | {new FileInfo(image.Path).Length:N0} | " +
                                  $"{Stat(s.Select(x => x.FirstOutput))} | {Stat(s.Select(x => x.Exit))} |");
            }
        }

        var counted = Boot(images[0].Path, MachineKind.Microvm, icount: true);
        var m = BootCost().Match(counted.Console);
        Console.WriteLine();
        if (m.Success)
            Console.WriteLine($"guest instructions (microvm, -icount shift=0): reset -> boot stub entry {long.Parse(m.Groups[1].Value):N0}, " +
                              $"entry -> C# entry {long.Parse(m.Groups[2].Value):N0}, entry -> end of kernel init {long.Parse(m.Groups[3].Value):N0}");
        else
            Console.WriteLine("guest instructions: the kernel printed no boot-cost line");

        var app = Boot(images[1].Path, MachineKind.Microvm, icount: true);
        var a = AppTiming().Match(app.Console);
        if (a.Success)
            Console.WriteLine($"guest instructions (microvm, -icount shift=0, hello): boot stub entry -> app entry {long.Parse(a.Groups[1].Value):N0}, " +
                              $"-> first line of Main {long.Parse(a.Groups[2].Value):N0}, -> exit {long.Parse(a.Groups[3].Value):N0}");
        else
            Console.WriteLine("guest instructions: the kernel printed no app-timing line");
        return 0;
    }

    private static BootResult Boot(string image, MachineKind machine, bool icount)
    {
        var result = QemuRunner.RunAsync(new QemuOptions { ImagePath = image, Machine = machine, Accelerator = Accelerator.Tcg, InstructionCounting = icount },
                                         TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (result.TimedOut) throw new InvalidOperationException($"{image} timed out on {machine}");
        return result;
    }

    private static string Stat(IEnumerable<TimeSpan> values)
    {
        var ms = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        double median = ms.Length % 2 == 1 ? ms[ms.Length / 2] : (ms[ms.Length / 2 - 1] + ms[ms.Length / 2]) / 2;
        return $"{median:F1} ms ({ms[0]:F1}-{ms[^1]:F1})";
    }

    private static string QemuVersion()
    {
        try
        {
            var p = Process.Start(new ProcessStartInfo("qemu-system-x86_64", "--version") { RedirectStandardOutput = true })!;
            string first = p.StandardOutput.ReadLine() ?? "QEMU";
            p.WaitForExit();
            return first.Replace("QEMU emulator version", "QEMU").Trim();
        }
        catch (System.ComponentModel.Win32Exception) { return "QEMU (not found)"; }
    }

    [GeneratedRegex(@"app timing \(tsc ticks since boot stub entry\): started (\d+), first output (\d+), exit (\d+)")]
    private static partial Regex AppTiming();

    [GeneratedRegex(@"boot cost: entry at tsc (\d+), to C# entry (\d+) tsc, to end of kernel init (\d+) tsc")]
    private static partial Regex BootCost();
}
