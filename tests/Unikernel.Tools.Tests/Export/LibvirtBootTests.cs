using Unikernel.Tools.Cli;
using Unikernel.Tools.Export;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests.Export;

/// <summary>
/// The generated domain run by a real libvirt (a private session daemon, LibvirtSession; QEMU under it with TCG): the
/// app's output on the serial console equals what `uk run` prints for the same image, environment and arguments, and
/// the kernel drives the domain's virtio-net card, and the app's end stops the domain (on_reboot destroy).
/// </summary>
public class LibvirtBootTests
{
    [SkippableTheory]
    [InlineData("none", true)]
    [InlineData("bios", true)]
    [InlineData("uefi", true)]   // OVMF puts the card's 64-bit BARs above 4 GiB: the kernel maps them (DeviceMemory)
    public void TheDomainBootsTheAppAndStopsWhenItEnds(string firmware, bool kernelDrivesTheCard)
    {
        string? image = Artifacts.Find("artifacts/images/hello.img");
        Skip.If(image is null, "artifacts/images/hello.img is missing: run 'make build' first");
        string? unavailable = LibvirtSession.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        Skip.IfNot(TestGuests.QemuInstalled, "qemu-system-x86_64 is not installed");

        using var session = new LibvirtSession();
        string output = Path.Combine(session.Root, "export");
        string log = Path.Combine(session.Root, "console.log");
        string[] app = ["-e", "GREETING=from libvirt", "--", "one", "two words"];
        var (status, _, error) = Uk(["export", "libvirt", image!, "-o", output, "--name", "hello-" + firmware, "--firmware", firmware,
                                     "--accel", "tcg", "--network", "user", "--console-log", log, .. app]);
        Assert.True(status == 0, error);
        session.Own(output);

        session.Define(Path.Combine(output, $"hello-{firmware}.xml"), "hello-" + firmware);
        var (started, _, startError) = session.Virsh("start", "hello-" + firmware);
        Assert.True(started == 0, $"virsh start: {startError}");
        string state = session.WaitUntilStopped("hello-" + firmware, 180);
        string console = File.ReadAllText(log).Replace("\r\n", "\n");
        Assert.True(state.StartsWith("shut off", StringComparison.Ordinal), $"the domain is '{state}' after 180 s; console:\n{console}");
        Assert.Contains("uk: exit status 2\n", console);
        // The virtio-net card the domain gives (on q35: on the root complex) is the kernel's, with its address by DHCP.
        if (kernelDrivesTheCard)
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(console, @"uk: net: virtio-net 52:54:00(:[0-9a-f]{2}){3} \(pci\) 10\.0\.2\.15/24"), console[Math.Max(0, console.IndexOf("uk: "))..]);

        var (runStatus, expected, runError) = Uk(["run", image!, "--accel", "tcg", "--quiet", "--timeout", "120", .. app]);
        Assert.True(runStatus == 2, $"uk run: {runError}");
        // What the firmware printed before the kernel's first line is not the app's; the kernel's own lines neither.
        var lines = console.Split('\n').SkipWhile(l => !l.StartsWith("uk: ", StringComparison.Ordinal));
        string appOutput = string.Concat(lines.Where(l => l.Length > 0 && !l.StartsWith("uk: ", StringComparison.Ordinal)).Select(l => l + "\n"));
        Assert.Equal(expected.Replace("\r\n", "\n"), appOutput);
        Assert.Contains("GREETING=from libvirt", appOutput);
    }

}
