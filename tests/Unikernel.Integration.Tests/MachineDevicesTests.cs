using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;
using Xunit.Abstractions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// What a disk-booted guest on pc, q35 or a cloud gets (runtime/Kernel/Devices: Acpi/, Pci/, IoApic.cs, DeviceMemory.cs),
/// booted with -kernel on QEMU's machines: ACPI tables (RSDP, MADT, FADT, MCFG), PCIe configuration through ECAM,
/// buses behind PCIe root ports, a modern-only virtio-net card behind one, 64-bit BARs above 4 GiB, a virtio-blk disk
/// (read, found not to be a config drive), and devices the kernel has no driver for (NVMe, AHCI, q35's LPC and SMBus
/// functions). The apps' output and network
/// behaviour must be what they are on microvm and pc, and the boot report must say what the kernel found.
/// </summary>
public partial class MachineDevicesTests(ITestOutputHelper output)
{
    /// <summary>
    /// A machine model with its devices, the boot report's PCI line on it (null: the machine has no PCI), the ACPI lines
    /// it must have, and how the card's interrupt arrives (the net line's words: "msi-x", "irq N").
    /// </summary>
    public sealed record Setup(MachineKind Machine, string CardOptions, string[] Devices, string? PciLine, string[] AcpiLines, string Interrupt);

    private const string QemuPcMadt = "uk: acpi: MADT: local APIC 0xfee00000, 1 CPU, I/O APIC 0xfec00000 GSI 0+, ISA overrides 0->2 5->5 level 9->9 level 10->10 level 11->11 level";
    private const string Q35Mcfg = "uk: acpi: MCFG: ECAM 0xb0000000 buses 0-255";

    // {0} and {1} are the two scratch disks' paths.
    private static readonly Dictionary<string, Setup> Setups = new()
    {
        // The card on the root complex (an integrated endpoint), NVMe and virtio-blk beside it, q35's own AHCI at 00:1f.2.
        ["q35"] = new(MachineKind.Q35, "addr=0x2",
            ["-drive", "file={0},if=none,id=nvme0,format=raw", "-device", "nvme,drive=nvme0,serial=uk-nvme,addr=0x3",
             "-drive", "file={1},if=none,id=blk0,format=raw", "-device", "virtio-blk-pci,drive=blk0,addr=0x4"],
            "uk: pci: 7 functions on 1 bus (ECAM 0xb0000000), 1 bridge; driver: virtio-net 00:02.0, virtio-blk 00:04.0; no driver: "
            + "nvme 00:03.0, isa-bridge 00:1f.0, ahci 00:1f.2, smbus 00:1f.3",
            [QemuPcMadt, Q35Mcfg], "msi-x"),
        // As OVMF-era clouds do it: a modern-only card behind a PCIe root port, NVMe behind another. pci-testdev's 2 GiB
        // 64-bit BAR does not fit below 4 GiB, so SeaBIOS moves every 64-bit BAR above it -- the card's virtio
        // structures too (QEMU's `info pci`: 0x180000000), which the kernel must map to reach the card.
        ["q35-root-port"] = new(MachineKind.Q35, "bus=rp1,disable-legacy=on",
            ["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x2",
             "-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2,addr=0x3",
             "-drive", "file={0},if=none,id=nvme0,format=raw", "-device", "nvme,drive=nvme0,serial=uk-nvme,bus=rp2",
             "-drive", "file={1},if=none,id=blk0,format=raw", "-device", "virtio-blk-pci,drive=blk0,addr=0x4",
             "-device", "pci-testdev,membar=2G,addr=0x5"],
            "uk: pci: 10 functions on 3 buses (ECAM 0xb0000000), 3 bridges; driver: virtio-net 01:00.0, virtio-blk 00:04.0; no driver: "
            + "nvme 02:00.0, [1b36:0005 class 00ff] 00:05.0, isa-bridge 00:1f.0, ahci 00:1f.2, smbus 00:1f.3",
            [QemuPcMadt, Q35Mcfg], "msi-x"),
        // The same card without MSI-X (vectors=0): INTx through the root port's swizzle to the ISA interrupt firmware
        // put in Interrupt Line, and from there through the MADT's override to the I/O APIC.
        ["q35-root-port-intx"] = new(MachineKind.Q35, "bus=rp1,disable-legacy=on,vectors=0",
            ["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x2"],
            "uk: pci: 6 functions on 2 buses (ECAM 0xb0000000), 2 bridges; driver: virtio-net 01:00.0; no driver: isa-bridge 00:1f.0, "
            + "ahci 00:1f.2, smbus 00:1f.3",
            [QemuPcMadt, Q35Mcfg], "irq 1[01]"),
        ["pc"] = new(MachineKind.Pc, "addr=0x2",
            ["-drive", "file={1},if=none,id=blk0,format=raw", "-device", "virtio-blk-pci,drive=blk0,addr=0x3"],
            "uk: pci: 6 functions on 1 bus (port 0xcf8), 1 bridge; driver: virtio-net 00:02.0, virtio-blk 00:03.0; no driver: "
            + "isa-bridge 00:01.0, ide 00:01.1, [8086:7113 class 0680] 00:01.3",
            [QemuPcMadt], "msi-x"),
        // microvm's second I/O APIC carries its virtio-mmio lines; its FADT is hardware-reduced (no PM1, a GED instead).
        ["microvm"] = new(MachineKind.Microvm, "", [], null,
            ["uk: acpi: MADT: local APIC 0xfee00000, 1 CPU, I/O APIC 0xfec00000 GSI 0+, I/O APIC 0xfec10000 GSI 24+",
             "uk: acpi: FADT: hardware-reduced, SCI 0, sleep control mem 0xfea00200 status mem 0xfea00201, reset mem 0xfea00202 value 0x42"],
            @"irq \d+"),   // a GSI of the second I/O APIC (24-47)
    };

    /// <summary>A setup's QEMU arguments with two fresh 1 MiB scratch disks, deleted with it.</summary>
    private sealed class Machine : IDisposable
    {
        private readonly string[] _disks = [Path.GetTempFileName(), Path.GetTempFileName()];
        public Setup Setup { get; }
        public string[] QemuArguments { get; }

        public Machine(string name)
        {
            Setup = Setups[name];
            foreach (string disk in _disks) File.WriteAllBytes(disk, new byte[1 << 20]);
            QemuArguments = Setup.Devices.Select(a => string.Format(a, _disks[0], _disks[1])).ToArray();
        }

        public QemuNetwork Network(params string[] hostForwards) => new() { HostForwards = hostForwards, CardOptions = Setup.CardOptions };

        public void Dispose() { foreach (string disk in _disks) File.Delete(disk); }
    }

    [Theory]
    [InlineData("q35")]
    [InlineData("q35-root-port")]
    [InlineData("q35-root-port-intx")]
    [InlineData("pc")]
    [InlineData("microvm")]
    public async Task HelloPrintsWhatItPrintsOnLinuxAndTheReportNamesTheDevices(string name)
    {
        string[] args = ["first", "second arg"];
        using var machine = new Machine(name);
        var linux = AppImages.RunOnLinux("hello", args);
        var guest = await AppImages.BootAsync("hello", machine.Setup.Machine, args, network: machine.Network(), qemuArguments: machine.QemuArguments);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        string console = guest.Console.Replace("\r", "");
        var lines = console.Split('\n');
        Assert.Contains(lines, l => AcpiTableList().IsMatch(l) && l.Contains(" FACP") && l.Contains(" APIC")
                                    && l.Contains(" MCFG") == (machine.Setup.Machine == MachineKind.Q35));
        foreach (string expected in machine.Setup.AcpiLines) Assert.Contains(lines, l => l.StartsWith(expected, StringComparison.Ordinal));
        if (machine.Setup.Machine != MachineKind.Microvm)
            Assert.Contains(lines, l => l.StartsWith("uk: acpi: FADT: SCI 9, SMI port 0xb2", StringComparison.Ordinal));
        if (machine.Setup.PciLine != null) Assert.Contains(machine.Setup.PciLine, lines);
        else Assert.DoesNotContain("uk: pci:", console);
        if (machine.Setup.PciLine?.Contains("virtio-blk") == true)
            Assert.Contains("uk: disk: vda is not a config drive (no ISO 9660 or FAT file system); ignored", lines);
        Assert.DoesNotContain("refused", console);
        Assert.Matches(@"uk: net: virtio-net 52:54:00:12:34:56 \((pci|mmio)\) 10\.0\.2\.15/24 .*, link up, " + machine.Setup.Interrupt + ",", console);
    }

    [Theory]
    [InlineData("q35")]
    [InlineData("q35-root-port")]
    [InlineData("q35-root-port-intx")]
    [InlineData("pc")]
    [InlineData("microvm")]
    public async Task NetechoServesTcpAndUdpFromTheHostWithTheCardsInterrupt(string name)
    {
        using var machine = new Machine(name);
        int[] sizes = [1, 100_000, 5000];
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        var network = machine.Network(QemuNetwork.Forward("tcp", port, 7), QemuNetwork.Forward("udp", port, 7));
        string commandLine = KernelCommandLine.Build([], [], ["serve", sizes.Length.ToString()]);
        await using var guest = RunningGuest.Start(AppImages.Image("netecho"), machine.Setup.Machine, commandLine, network, memory: "256M",
                                                   qemuArguments: machine.QemuArguments);
        await guest.WaitForAsync("serve: echoing tcp and udp port 7");

        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            udp.Connect(IPAddress.Loopback, port);
            for (int i = 0; i < 5; i++)
            {
                byte[] payload = new byte[1 + i * 300];
                new Random(i).NextBytes(payload);
                for (int attempt = 1; ; attempt++)
                {
                    await udp.SendAsync(payload);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    try { Assert.Equal(payload, (await udp.ReceiveAsync(timeout.Token)).Buffer); break; }
                    catch (OperationCanceledException) when (attempt < 3) { }
                }
            }
        }
        var random = new Random(3);
        var payloads = sizes.Select(size => { var b = new byte[size]; random.NextBytes(b); return b; }).ToArray();
        var echoes = await KernelNetworkTests.EchoAllAsync(port, payloads);
        for (int i = 0; i < sizes.Length; i++) Assert.True(payloads[i].AsSpan().SequenceEqual(echoes[i]), $"connection {i}\n{guest.Console}");

        var result = await guest.Finished;
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Contains($"serve: {sizes.Length} connections, {sizes.Sum()} bytes echoed", result.Console);
        var counters = CardInterrupts().Match(result.Console);
        Assert.True(counters.Success, result.Console);
        Assert.True(long.Parse(counters.Groups["interrupts"].Value) > 0, result.Console);
        output.WriteLine($"{name}: {counters.Value}");
    }

    [Theory]
    [InlineData("q35")]
    [InlineData("q35-root-port")]
    public async Task AspNetCoreServesHttp(string name)
    {
        using var machine = new Machine(name);
        int port = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
        string commandLine = KernelCommandLine.Build([], ["ASPNETCORE_URLS=http://0.0.0.0:8080"], []);
        await using var guest = RunningGuest.Start(AppImages.Image("http"), machine.Setup.Machine, commandLine,
                                                   machine.Network(QemuNetwork.Forward("tcp", port, 8080)), memory: "512M",
                                                   qemuArguments: machine.QemuArguments);
        await guest.WaitForAsync("Now listening on: http://0.0.0.0:8080");

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal("Hello from a bootable ASP.NET Core app!\n", await client.GetStringAsync("/"));
        Assert.Equal("""{"id":2,"summary":"Mild","temperatureC":14}""", await client.GetStringAsync("/forecasts/2"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/forecasts/9")).StatusCode);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    // The RSDP scan (for loaders that leave rsdp_paddr 0) finds what QEMU's PVH loader put in the start info, and reads
    // the same tables from it; a copy of the tables with a changed MADT byte gets the MADT refused in the boot report.
    [Theory]
    [InlineData(MachineKind.Pc)]
    [InlineData(MachineKind.Q35)]
    [InlineData(MachineKind.Microvm)]
    public async Task TheRsdpScanAgreesWithTheStartInfoAndABadChecksumIsRefused(MachineKind machine)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, machine, "uk.selftest=acpi");
        Assert.True(result.ExitStatus == 0, result.Console);
        Assert.Matches(@"uk: selftest acpi: the scan found the RSDP at (0x[0-9a-f]+), the start info names \1\r?\n", result.Console);
        Assert.Matches(@"uk: acpi: RSDP 0x[0-9a-f]+ from the BIOS area, ACPI", result.Console);
        Assert.Matches(@"uk: acpi: RSDP 0x[0-9a-f]+ from a copy whose MADT has a changed byte, ACPI 1\.0, RSDT 0x[0-9a-f]+: APIC\(refused\) FACP DSDT\r?\n", result.Console);
        Assert.Matches(@"uk: acpi: table APIC at 0x[0-9a-f]+ refused: it has a wrong checksum\r?\n", result.Console);
        Assert.Contains("uk: selftest acpi: all checks passed (ok)", result.Console);
    }

    [GeneratedRegex(@"^uk: acpi: RSDP 0x[0-9a-f]+ from the start info, ACPI (1\.0|2\.0\+), (RSDT|XSDT) 0x[0-9a-f]+:( [A-Z]{4})+$")]
    private static partial Regex AcpiTableList();

    [GeneratedRegex(@"uk: net: received \d+ frames, sent \d+, dropped \d+[^;\n]*; (?<interrupts>\d+) card interrupts")]
    private static partial Regex CardInterrupts();
}
