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
            default:
                Console.Error.WriteLine($"usage: Unikernel.Benchmarks boot [runs]   (unknown benchmark '{what}')");
                return 2;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
