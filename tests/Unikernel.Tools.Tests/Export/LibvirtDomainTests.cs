using System.Xml.Linq;
using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

public class LibvirtDomainTests
{
    private static XElement Domain(ExportFirmware firmware, bool kvm = true, LibvirtNetwork? network = null, string? log = null)
    {
        var options = new LibvirtDomain.Options
        {
            Firmware = firmware,
            Kvm = kvm,
            Network = network ?? new LibvirtNetwork.Named("default"),
            DiskPath = "/var/lib/libvirt/images/hello.qcow2",
            KernelPath = "/srv/hello.img",
            ConsoleLog = log,
        };
        return XElement.Parse(LibvirtDomain.Build(ExportTestSupport.Machine(), options));
    }

    [Fact]
    public void UefiBootsTheQcow2DiskOnQ35WithoutSecureBoot()
    {
        var d = Domain(ExportFirmware.Uefi);
        var os = d.Element("os")!;
        Assert.Equal("efi", (string?)os.Attribute("firmware"));
        Assert.Equal("q35", (string?)os.Element("type")!.Attribute("machine"));
        Assert.Equal("hd", (string?)os.Element("boot")!.Attribute("dev"));
        Assert.Null(os.Element("kernel"));
        var secureBoot = os.Element("firmware")!.Elements("feature").Single(f => (string?)f.Attribute("name") == "secure-boot");
        Assert.Equal("no", (string?)secureBoot.Attribute("enabled"));
        Assert.NotNull(d.Element("features")!.Element("acpi"));   // libvirt refuses UEFI without ACPI
        var disk = d.Element("devices")!.Element("disk")!;
        Assert.Equal("qcow2", (string?)disk.Element("driver")!.Attribute("type"));
        Assert.Equal("/var/lib/libvirt/images/hello.qcow2", (string?)disk.Element("source")!.Attribute("file"));
        Assert.Equal("virtio", (string?)disk.Element("target")!.Attribute("bus"));
    }

    [Fact]
    public void BiosBootsTheDiskOnPc()
    {
        var os = Domain(ExportFirmware.Bios).Element("os")!;
        Assert.Null(os.Attribute("firmware"));
        Assert.Equal("pc", (string?)os.Element("type")!.Attribute("machine"));
        Assert.Equal("hd", (string?)os.Element("boot")!.Attribute("dev"));
    }

    [Fact]
    public void WithoutFirmwareTheElfImageIsTheKernelAndTheCommandLineIsPassed()
    {
        var d = Domain(ExportFirmware.None);
        var os = d.Element("os")!;
        Assert.Equal("/srv/hello.img", (string?)os.Element("kernel"));
        Assert.Equal("GREETING=hi -- a \"b c\"", (string?)os.Element("cmdline"));
        Assert.Null(d.Element("devices")!.Element("disk"));
    }

    [Theory]
    [InlineData(ExportFirmware.Uefi)]
    [InlineData(ExportFirmware.Bios)]
    [InlineData(ExportFirmware.None)]
    public void TheAppsEndStopsTheDomain(ExportFirmware firmware)
    {
        // The kernel's exit without isa-debug-exit is an i8042 reset (runtime/Kernel/Arch/Machine.cs): a reboot for libvirt.
        var d = Domain(firmware);
        Assert.Equal("destroy", (string?)d.Element("on_reboot"));
        Assert.Equal("destroy", (string?)d.Element("on_poweroff"));
        Assert.Equal("destroy", (string?)d.Element("on_crash"));
    }

    [Theory]
    [InlineData(ExportFirmware.Uefi)]
    [InlineData(ExportFirmware.Bios)]
    public void TheMachineHasNoSuspendToRam(ExportFirmware firmware)
    {
        // OVMF with S3 keeps ACPI NVS inside the load range of images past 8 MiB; the UEFI loader would refuse them.
        Assert.Equal("no", (string?)Domain(firmware).Element("pm")!.Element("suspend-to-mem")!.Attribute("enabled"));
    }

    [Fact]
    public void TheConsoleIsTheSerialPortOnAPtyAndCanBeLogged()
    {
        var devices = Domain(ExportFirmware.Uefi, log: "/var/log/hello.log").Element("devices")!;
        var serial = devices.Element("serial")!;
        Assert.Equal("pty", (string?)serial.Attribute("type"));
        Assert.Equal("/var/log/hello.log", (string?)serial.Element("log")!.Attribute("file"));
        Assert.Equal("serial", (string?)devices.Element("console")!.Element("target")!.Attribute("type"));
        Assert.Null(Domain(ExportFirmware.Uefi).Element("devices")!.Element("serial")!.Element("log"));
    }

    [Fact]
    public void TheNetworkCardIsVirtioOnBusZeroOfQ35()
    {
        var card = Domain(ExportFirmware.Uefi).Element("devices")!.Element("interface")!;
        Assert.Equal("network", (string?)card.Attribute("type"));
        Assert.Equal("default", (string?)card.Element("source")!.Attribute("network"));
        Assert.Equal("virtio", (string?)card.Element("model")!.Attribute("type"));
        var address = card.Element("address")!;
        Assert.Equal("0x00", (string?)address.Attribute("bus"));
        Assert.StartsWith("52:54:00:", (string?)card.Element("mac")!.Attribute("address"));

        Assert.Equal("user", (string?)Domain(ExportFirmware.Bios, network: new LibvirtNetwork.User()).Element("devices")!.Element("interface")!.Attribute("type"));
        Assert.Null(Domain(ExportFirmware.Bios, network: new LibvirtNetwork.None()).Element("devices")!.Element("interface"));
    }

    [Fact]
    public void KvmPassesTheHostCpuThroughAndTcgAsksForTheMaximumModel()
    {
        Assert.Equal("kvm", (string?)Domain(ExportFirmware.Uefi, kvm: true).Attribute("type"));
        Assert.Equal("host-passthrough", (string?)Domain(ExportFirmware.Uefi, kvm: true).Element("cpu")!.Attribute("mode"));
        Assert.Equal("qemu", (string?)Domain(ExportFirmware.Uefi, kvm: false).Attribute("type"));
        Assert.Equal("maximum", (string?)Domain(ExportFirmware.Uefi, kvm: false).Element("cpu")!.Attribute("mode"));
    }

    [Fact]
    public void SizesAndIdentifiersComeFromTheMachine()
    {
        var d = Domain(ExportFirmware.Uefi);
        Assert.Equal("hello", (string?)d.Element("name"));
        Assert.Equal("262144", (string?)d.Element("memory"));
        Assert.Equal("KiB", (string?)d.Element("memory")!.Attribute("unit"));
        Assert.Equal("2", (string?)d.Element("vcpu"));
        Assert.Equal(ExportTestSupport.Machine().Uuid().ToString(), (string?)d.Element("uuid"));
        Assert.Equal(LibvirtDomain.Build(ExportTestSupport.Machine(), new() { DiskPath = "/d.qcow2" }),
                     LibvirtDomain.Build(ExportTestSupport.Machine(), new() { DiskPath = "/d.qcow2" }));
    }

    [Fact]
    public void RelativePathsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => LibvirtDomain.Build(ExportTestSupport.Machine(), new() { DiskPath = "hello.qcow2" }));
        Assert.Throws<ArgumentException>(() => LibvirtDomain.Build(ExportTestSupport.Machine(), new() { Firmware = ExportFirmware.None, KernelPath = "hello.img" }));
        Assert.Throws<ArgumentException>(() => LibvirtDomain.Build(ExportTestSupport.Machine(), new() { DiskPath = "/d.qcow2", ConsoleLog = "log" }));
    }

    [SkippableTheory]
    [InlineData(ExportFirmware.Uefi, true)]
    [InlineData(ExportFirmware.Bios, true)]
    [InlineData(ExportFirmware.None, false)]
    public void LibvirtsSchemaAcceptsTheDomain(ExportFirmware firmware, bool kvm)
    {
        Skip.IfNot(ExportTestSupport.Installed("/usr/bin/virt-xml-validate"), "virt-xml-validate is not installed (Debian libvirt-clients; make setup installs it)");
        using var dir = new TempDirectory();
        string file = dir.File("domain.xml");
        var options = new LibvirtDomain.Options
        {
            Firmware = firmware, Kvm = kvm, Network = new LibvirtNetwork.User(), DiskPath = "/d/hello.qcow2", KernelPath = "/d/hello.img", ConsoleLog = "/d/console.log",
        };
        File.WriteAllText(file, LibvirtDomain.Build(ExportTestSupport.Machine(), options));
        var (status, output, error) = ExportTestSupport.Run("/usr/bin/virt-xml-validate", [file, "domain"]);
        Assert.True(status == 0, $"virt-xml-validate: {output}{error}");
        Assert.Contains("validates", output + error);
    }
}
