namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// `Unikernel.Benchmarks linux-deploy-guest`: the http benchmark's Linux microVM (same kernel, /init, executable and
/// command line as HttpLoadBenchmark on user networking) as files for `uk deploy --linux-initrd`, so that
/// benchmarks/deploy/deploy-time.sh times the blue/green flow with it next to our image. Prints three lines: the
/// kernel, the initramfs, the kernel command line (without the app's environment, which uk deploy adds).
/// </summary>
public static class LinuxDeployGuest
{
    public static int Run(string root)
    {
        string exe = Path.Combine(root, "artifacts", "apps", "http", "http");
        if (!File.Exists(exe))
        {
            Console.Error.WriteLine($"linux-deploy-guest: {exe} is missing: run 'make build' first");
            return 1;
        }
        var linux = LinuxMicroVm.Prepare(root, Console.Error);
        var (initramfs, _, _) = linux.Initramfs("http-deploy", exe, network: true);
        Console.WriteLine(linux.VmlinuxPath);
        Console.WriteLine(initramfs);
        // slirp's network, as our kernel gets it by DHCP; the variable is LinuxInit's (benchmarks/LinuxInit/LinuxNetwork.cs).
        Console.WriteLine(LinuxMicroVm.CommandLine(LinuxMicroVm.HostTscKhz()) + " INIT_NETWORK=10.0.2.15/24,10.0.2.2");
        return 0;
    }
}
