using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Unikernel.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        string root = FindRoot();
        string what = args.Length > 0 ? args[0] : "boot";
        int runs = args.Length > 1 && int.TryParse(args[1], out int n) ? n : 10;
        switch (what)
        {
            case "boot": return BootTimeBenchmark.Run(root, runs);
            case "compare": return Comparison.ComparisonBenchmark.Run(root, args[1..]);
            case "startup": return Comparison.StartupBenchmark.Run(root, args[1..]);
            case "http": return Comparison.HttpLoadBenchmark.Run(root, args[1..]);
            case "linux-deploy-guest": return Comparison.LinuxDeployGuest.Run(root);
            case "linker": return RunBenchmarkDotNet(typeof(LinkerBenchmarks), args[1..]);
            case "image": return RunBenchmarkDotNet(typeof(ImageBenchmarks), args[1..]);
            default:
                Console.Error.WriteLine($"usage: Unikernel.Benchmarks boot [runs] | startup [--quick] [--runs N] [--baseline DIR] [--apps hello,conformance,http] [--no-docs] | compare [--quick] [--runs N] [--icount-runs N] [--memory MiB] [--apps hello,conformance] [--no-docs] | http [--quick] [--duration S] [--rounds N] [--memory 512M] [--only ours|linux] [--networks user,tap] [--cpus 1,2,4 [--all-loads]] [--images label=img,...] [--app-logging] [--no-docs] | linux-deploy-guest | linker|image [BenchmarkDotNet options, e.g. --filter *Read*]   (unknown benchmark '{what}')");
                return 2;
        }
    }

    /// <summary>BenchmarkDotNet in process (no generated project to build per run) with a short job, so a
    /// run takes a few minutes on 2 cores; its options (--filter, --job ...) pass through.</summary>
    private static int RunBenchmarkDotNet(Type benchmarks, string[] args)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromTypes([benchmarks]).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(summary => summary.HasCriticalValidationErrors) ? 1 : 0;
    }

    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
