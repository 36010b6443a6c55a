using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

public class QemuCommandTests
{
    private static IReadOnlyList<string> Args(QemuOptions o) => QemuCommand.BuildArguments(o);

    private static string ValueAfter(IReadOnlyList<string> args, string flag)
    {
        int i = args.ToList().IndexOf(flag);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{flag} missing in: {string.Join(' ', args)}");
        return args[i + 1];
    }

    [Fact]
    public void MicrovmBootsTheImageDirectlyWithTheDebugExitDevice()
    {
        var args = Args(new QemuOptions { ImagePath = "/img/k.elf", CommandLine = "A=1 -- x", Memory = "64M" });
        Assert.Equal("microvm,x-option-roms=off,rtc=on", ValueAfter(args, "-M"));
        Assert.Equal("max", ValueAfter(args, "-cpu"));
        Assert.Equal("/img/k.elf", ValueAfter(args, "-kernel"));
        Assert.Equal("A=1 -- x", ValueAfter(args, "-append"));
        Assert.Equal("64M", ValueAfter(args, "-m"));
        Assert.Equal("tcg", ValueAfter(args, "-accel"));
        Assert.Equal("stdio", ValueAfter(args, "-serial"));
        Assert.Equal("isa-debug-exit,iobase=0xf4,iosize=0x04", ValueAfter(args, "-device"));
        Assert.Contains("-no-reboot", args);
        Assert.Contains("-nodefaults", args);
        Assert.DoesNotContain("-icount", args);
    }

    // The tests' devices (tests/Unikernel.Integration.Tests/MachineDevicesTests.cs): a root port first, then the card on it.
    [Fact]
    public void ADetachedQemuDaemonizesWithItsPidFileAndTheConsoleInAFile()
    {
        var args = Args(new QemuOptions { ImagePath = "/img/k.elf", DetachedPidFile = "/s/qemu.pid", ConsoleFile = "/s/console.log" });
        Assert.Equal("file:/s/console.log", ValueAfter(args, "-serial"));
        Assert.Equal("/s/qemu.pid", ValueAfter(args, "-pidfile"));
        Assert.Equal("none", ValueAfter(args, "-display"));
        Assert.Contains("-daemonize", args);
        Assert.DoesNotContain("-nographic", args);   // QEMU refuses it with -daemonize: it takes stdio
        Assert.Throws<ArgumentException>(() => Args(new QemuOptions { ImagePath = "/img/k.elf", DetachedPidFile = "/s/qemu.pid" }));
    }

    [Fact]
    public void ExtraArgumentsComeBeforeTheCardWhichTakesItsOptions()
    {
        var args = Args(new QemuOptions
        {
            ImagePath = "k", Machine = MachineKind.Q35,
            ExtraArguments = ["-device", "pcie-root-port,id=rp1,chassis=1"],
            Network = new QemuNetwork { CardOptions = "bus=rp1,disable-legacy=on" },
        }).ToList();
        int port = args.IndexOf("pcie-root-port,id=rp1,chassis=1");
        int card = args.IndexOf("virtio-net-pci,netdev=net0,romfile=,bus=rp1,disable-legacy=on");
        Assert.True(port > 0 && card > port, string.Join(' ', args));
        Assert.Equal("q35", ValueAfter(args, "-M"));
    }

    [Fact]
    public void OptionsChangeTheCommand()
    {
        var args = Args(new QemuOptions { ImagePath = "k", Machine = MachineKind.Pc, InstructionCounting = true, DebugExitDevice = false, Accelerator = Accelerator.Kvm, CpuModel = "qemu64" });
        Assert.Equal("pc", ValueAfter(args, "-M"));
        Assert.Equal("qemu64", ValueAfter(args, "-cpu"));
        Assert.Equal("shift=0", ValueAfter(args, "-icount"));
        Assert.Equal("kvm", ValueAfter(args, "-accel"));
        Assert.DoesNotContain("-device", args);
        Assert.DoesNotContain("-append", args);
    }

    [Fact]
    public void NoNetworkCardUnlessAskedFor()
    {
        var args = Args(new QemuOptions { ImagePath = "k" });
        Assert.DoesNotContain("-netdev", args);
        Assert.DoesNotContain("-global", args);
    }

    [Fact]
    public void NetworkOnMicrovmIsAModernVirtioMmioCardOnUserNetworking()
    {
        var network = new QemuNetwork { HostForwards = [QemuNetwork.Forward("udp", 5555, 7), QemuNetwork.Forward("tcp", 8080, 80, "0.0.0.0")] };
        var args = Args(new QemuOptions { ImagePath = "k", Network = network });
        Assert.Equal("user,id=net0,hostfwd=udp:127.0.0.1:5555-:7,hostfwd=tcp:0.0.0.0:8080-:80", ValueAfter(args, "-netdev"));
        Assert.Equal("virtio-mmio.force-legacy=false", ValueAfter(args, "-global"));
        Assert.Contains("virtio-net-device,netdev=net0", args);
        Assert.Equal("isa-debug-exit,iobase=0xf4,iosize=0x04", ValueAfter(args, "-device"));   // still the first device
    }

    [Fact]
    public void NetworkOnPcIsAVirtioPciCardWithoutItsBootRom()
    {
        var args = Args(new QemuOptions { ImagePath = "k", Machine = MachineKind.Pc, Network = new QemuNetwork() });
        Assert.Equal("user,id=net0", ValueAfter(args, "-netdev"));
        Assert.Contains("virtio-net-pci,netdev=net0,romfile=", args);
        Assert.DoesNotContain("-global", args);
    }

    [Fact]
    public void FormatQuotesForTheShell()
    {
        string line = QemuCommand.Format(new QemuOptions { ImagePath = "/a b/k.elf", CommandLine = "X=\"it's\"" });
        Assert.StartsWith("qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on ", line);
        Assert.Contains("-kernel '/a b/k.elf'", line);
        Assert.Contains("-append 'X=\"it'\\''s\"'", line);
    }

    [Fact]
    public void TheConsoleTagGoesFirstOnTheKernelCommandLine()
    {
        const string tag = "00112233445566778899aabbccddeeff";
        Assert.Equal($"uk.console.tag={tag} A=1 -- x", ValueAfter(Args(new QemuOptions { ImagePath = "k", CommandLine = "A=1 -- x", ConsoleTag = tag }), "-append"));
        Assert.Equal($"uk.console.tag={tag}", ValueAfter(Args(new QemuOptions { ImagePath = "k", ConsoleTag = tag }), "-append"));
    }

    [Theory]
    [InlineData(1, "uk: exit status 0", 0)]           // isa-debug-exit: byte 0 -> QEMU 1, and the kernel said so
    [InlineData(7, "", 3)]                            // byte 3 -> QEMU 7
    [InlineData(141, "uk: exit status 70", 70)]       // kernel panic
    [InlineData(13, "uk: exit status 134", 134)]      // 2*134+1 = 269 wraps to 13: the kernel's line restores 134
    [InlineData(13, "", 6)]                           // ... without it only the low 7 bits are known
    [InlineData(13, "uk: exit status 7", 6)]          // a line that disagrees is not trusted
    [InlineData(13, "uk: exit status 1\nuk: exit status 134", 134)]   // the last one counts
    [InlineData(85, "", 42)]                          // a guest of another kind (the KVM probe) that prints nothing
    [InlineData(1, "", 0)]                            // ... or an image from before the console tag: QEMU said nothing
    public void TheStatusComesFromTheDebugExitCode(int qemuExitCode, string kernelLines, int expected)
    {
        var exit = GuestExit.Decode(qemuExitCode, Lines(kernelLines), "");
        Assert.Equal(expected, exit.Status);
        Assert.Null(exit.Problem);
    }

    [Theory]
    [InlineData(0, "uk: exit status 5", "")]          // a reset or triple fault: a status line does not make it a status
    [InlineData(0, "", "")]
    public void AGuestThatStopsWithoutAStatusGetsItsOwnCode(int qemuExitCode, string kernelLines, string qemuError)
    {
        var exit = GuestExit.Decode(qemuExitCode, Lines(kernelLines), qemuError);
        Assert.Equal(GuestExit.NoStatus, exit.Status);
        Assert.Equal("the guest stopped without an exit status (QEMU exited with 0: a reset or a triple fault)", exit.Problem);
    }

    [Theory]
    [InlineData(1, "qemu-system-x86_64: Parameter 'size' expects a non-negative number below 2^64\n", "QEMU failed: qemu-system-x86_64: Parameter 'size' expects a non-negative number below 2^64")]
    [InlineData(2, "qemu-system-x86_64: -kernel x: some error\nmore\n", "QEMU failed: qemu-system-x86_64: -kernel x: some error")]
    [InlineData(134, "", "QEMU failed with exit code 134 before the guest reported an exit status")]   // QEMU aborted (SIGABRT)
    public void QemusOwnFailureIs125WithItsMessage(int qemuExitCode, string qemuError, string problem)
    {
        var exit = GuestExit.Decode(qemuExitCode, [], qemuError);
        Assert.Equal(GuestExit.QemuFailed, exit.Status);
        Assert.Equal(problem, exit.Problem);
    }

    private static List<string> Lines(string text) => text.Length == 0 ? [] : text.Split('\n').ToList();
}
