using System.Text.Json;
using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

/// <summary>
/// There is no Firecracker binary on the build machine (it is not packaged by Debian): the configuration is checked
/// against the schema Firecracker documents for `--config-file` (src/firecracker/swagger/firecracker.yaml: BootSource,
/// MachineConfiguration, NetworkInterface, Drive; the file's keys are the API's resource names), field by field, types
/// and required members included.
/// </summary>
public class FirecrackerConfigTests
{
    /// <summary>The documented members of each object (required ones marked with '!').</summary>
    private static readonly Dictionary<string, string[]> Schema = new()
    {
        ["."] = ["boot-source!", "drives!", "machine-config", "network-interfaces", "balloon", "cpu-config", "entropy", "logger", "metrics", "mmds-config", "vsock"],
        ["boot-source"] = ["kernel_image_path!", "boot_args", "initrd_path"],
        ["machine-config"] = ["vcpu_count!", "mem_size_mib!", "smt", "track_dirty_pages", "cpu_template", "huge_pages"],
        ["network-interfaces[]"] = ["iface_id!", "host_dev_name!", "guest_mac", "rx_rate_limiter", "tx_rate_limiter"],
    };

    private static JsonElement Config(string? tap = "tap0", string? mac = null, string commandLine = "GREETING=hi -- a \"b c\"")
        => JsonDocument.Parse(FirecrackerConfig.Build(ExportTestSupport.Machine(commandLine: commandLine),
                                                      new() { KernelPath = "/srv/hello.img", TapDevice = tap, MacAddress = mac })).RootElement;

    private static void Conforms(JsonElement value, string schema)
    {
        Assert.Equal(JsonValueKind.Object, value.ValueKind);
        var members = Schema[schema];
        var names = value.EnumerateObject().Select(p => p.Name).ToList();
        Assert.All(names, n => Assert.Contains(members, m => m.TrimEnd('!') == n));
        Assert.All(members.Where(m => m.EndsWith('!')), m => Assert.Contains(m.TrimEnd('!'), names));
    }

    [Fact]
    public void EveryObjectHasOnlyDocumentedMembersAndAllRequiredOnes()
    {
        var c = Config();
        Conforms(c, ".");
        Conforms(c.GetProperty("boot-source"), "boot-source");
        Conforms(c.GetProperty("machine-config"), "machine-config");
        foreach (var card in c.GetProperty("network-interfaces").EnumerateArray()) Conforms(card, "network-interfaces[]");
        Assert.Equal(0, c.GetProperty("drives").GetArrayLength());
    }

    [Fact]
    public void ValuesHaveTheDocumentedTypes()
    {
        var c = Config();
        Assert.Equal("/srv/hello.img", c.GetProperty("boot-source").GetProperty("kernel_image_path").GetString());
        Assert.Equal(2, c.GetProperty("machine-config").GetProperty("vcpu_count").GetInt32());
        Assert.Equal(256, c.GetProperty("machine-config").GetProperty("mem_size_mib").GetInt32());
        Assert.False(c.GetProperty("machine-config").GetProperty("smt").GetBoolean());
        var card = c.GetProperty("network-interfaces")[0];
        Assert.Equal("eth0", card.GetProperty("iface_id").GetString());
        Assert.Equal("tap0", card.GetProperty("host_dev_name").GetString());
        Assert.Matches("^02:fc:00(:[0-9a-f]{2}){3}$", card.GetProperty("guest_mac").GetString());
    }

    [Fact]
    public void BootArgsAreTheWholeKernelCommandLine()
    {
        // Without boot_args Firecracker passes Linux's defaults, which the kernel would take as environment and arguments.
        Assert.Equal("GREETING=hi -- a \"b c\"", Config().GetProperty("boot-source").GetProperty("boot_args").GetString());
        Assert.Equal("", Config(commandLine: "").GetProperty("boot-source").GetProperty("boot_args").GetString());
    }

    [Fact]
    public void TheCardIsOptionalAndItsMacCanBeGiven()
    {
        Assert.Equal(0, Config(tap: null).GetProperty("network-interfaces").GetArrayLength());
        Assert.Equal("06:00:ac:10:00:02", Config(mac: "06:00:ac:10:00:02").GetProperty("network-interfaces")[0].GetProperty("guest_mac").GetString());
    }

    [Fact]
    public void WhatFirecrackerCannotTakeIsRefused()
    {
        string tooLong = new('x', FirecrackerConfig.MaxCommandLineBytes);
        var e = Assert.Throws<ArgumentException>(() => FirecrackerConfig.Build(ExportTestSupport.Machine(commandLine: tooLong), new() { KernelPath = "/k" }));
        Assert.Contains("Firecracker takes at most", e.Message);
        Assert.Throws<ArgumentException>(() => FirecrackerConfig.Build(ExportTestSupport.Machine(cpus: 33), new() { KernelPath = "/k" }));
        Assert.Throws<ArgumentException>(() => FirecrackerConfig.Build(ExportTestSupport.Machine(), new() { KernelPath = "k.img" }));
    }
}
