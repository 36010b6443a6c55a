using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// uk.selftest=vfs drives the file system calls through the syscall table inside the test kernel (330+
/// checks, error paths included) and prints the generated /proc and /sys files; here the host checks that
/// they tell the truth about the machine QEMU was asked for.
/// </summary>
public class KernelFileSystemTests
{
    private static async Task<string> RunAsync(string memory)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, MachineKind.Microvm, "uk.selftest=vfs", memory: memory);
        Assert.False(result.TimedOut, result.Console);
        string console = result.Console.Replace("\r\n", "\n");
        Assert.True(result.ExitStatus == 0, $"exit status {result.ExitStatus}\n{console}");
        return console;
    }

    [Fact]
    public async Task FileSystemCallsPassTheirChecksAndFreeEverything()
    {
        string c = await RunAsync("128M");
        Assert.DoesNotContain("vfs FAIL", c);
        Assert.Matches(@"uk: selftest vfs: \d{3,} checks, 0 failures \(ok\)", c);
        // write(1)/write(2) reach the console unchanged, and so does a dup2'd descriptor.
        Assert.Contains("\nvfs: written through write(1)\nvfs: and through write(2)\n", c);
        Assert.Contains("\nvfs: via dup2\n", c);
        // sendfile from a tmpfs file to fd 1 (copy_file_range, utimensat and chown are checked inside).
        Assert.Contains("\nvfs: written through sendfile(1)\n", c);
        Assert.DoesNotContain("unimplemented system call", c);
    }

    [Theory]
    [InlineData("128M", 128)]
    [InlineData("256M", 256)]
    public async Task MeminfoReportsThePageAllocatorsMemory(string memory, int megabytes)
    {
        string c = await RunAsync(memory);
        // uk: memory: ... page allocator: FREE of TOTAL pages free
        var pages = Regex.Match(c, @"page allocator: \d+ of (\d+) pages free");
        Assert.True(pages.Success, c);
        long totalKb = long.Parse(pages.Groups[1].Value) * 4;
        var memTotal = Regex.Match(c, @"uk: vfs \| MemTotal: +(\d+) kB\n");
        Assert.True(memTotal.Success, c);
        Assert.Equal(totalKb, long.Parse(memTotal.Groups[1].Value));
        Assert.InRange(totalKb, megabytes * 1024L * 9 / 10, megabytes * 1024L);
        long free = long.Parse(Regex.Match(c, @"uk: vfs \| MemFree: +(\d+) kB").Groups[1].Value);
        long available = long.Parse(Regex.Match(c, @"uk: vfs \| MemAvailable: +(\d+) kB").Groups[1].Value);
        Assert.InRange(free, totalKb * 9 / 10, totalKb);
        Assert.Equal(free, available);
    }

    [Fact]
    public async Task CgroupLessMountsOneCpuAndCachesFromCpuid()
    {
        string c = await RunAsync("128M");
        string[] mountinfo = Section(c, "/proc/self/mountinfo");
        Assert.Contains(mountinfo, line => line.Contains(" / /tmp rw,") && line.Contains(" - tmpfs "));
        Assert.Contains(mountinfo, line => line.Contains(" / /proc ") && line.Contains(" - proc "));
        Assert.All(mountinfo, line => Assert.Contains(" - ", line));            // the runtime parses after " - "
        Assert.DoesNotContain(mountinfo, line => line.Contains("cgroup"));
        Assert.Equal(new[] { "0::/" }, Section(c, "/proc/self/cgroup"));
        Assert.Equal(new[] { "0" }, Section(c, "/sys/devices/system/cpu/possible"));
        Assert.Equal(new[] { "0" }, Section(c, "/sys/devices/system/cpu/online"));
        Assert.Empty(Section(c, "/proc/self/maps"));

        // Caches: at least L1 data and L1 instruction, sizes in sysfs' "NNK" form.
        Assert.Matches(@"uk: vfs \| cache index0: size=\d+K level=1 type=Data coherency_line_size=\d+", c);
        Assert.Matches(@"uk: vfs \| cache index1: size=\d+K level=1 type=Instruction", c);

        string[] cpuinfo = Section(c, "/proc/cpuinfo");
        string vendor = Regex.Match(c, "CpuIdentity.Vendor = \"([^\"]+)\"").Groups[1].Value;
        Assert.Contains($"vendor_id : {vendor}", cpuinfo);
        Assert.Contains("processor : 0", cpuinfo);
        Assert.Contains(cpuinfo, line => line.StartsWith("flags  :") && line.Contains(" sse2") && line.Contains(" lm"));
    }

    // The lines the self-test printed for one file ("uk: vfs | == PATH", then "uk: vfs | LINE"...).
    private static string[] Section(string console, string path)
    {
        var lines = new List<string>();
        bool inside = false;
        foreach (string line in console.Split('\n'))
        {
            if (!line.StartsWith("uk: vfs | ")) { inside = false; continue; }
            string text = line["uk: vfs | ".Length..];
            if (text.StartsWith("== ") || text.StartsWith("cache index")) { inside = text == "== " + path; continue; }
            if (inside && text.Length > 0) lines.Add(text);
        }
        return lines.ToArray();
    }
}
