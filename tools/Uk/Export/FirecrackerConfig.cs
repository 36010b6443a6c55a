using System.Text;
using System.Text.Json;

namespace Unikernel.Tools.Export;

/// <summary>
/// A Firecracker VM configuration, the JSON `firecracker --no-api --config-file FILE` reads (the API's request bodies in
/// one object: https://github.com/firecracker-microvm/firecracker/blob/main/src/firecracker/swagger/firecracker.yaml).
/// Firecracker boots the ELF image directly through its PVH note, so there is no disk ("drives" is empty but present:
/// older releases require the key). "boot_args" is the whole kernel command line: without it Firecracker would pass
/// Linux's defaults ("reboot=k panic=1 pci=off ..."), which our kernel would take as environment entries and arguments.
/// Firecracker adds `virtio_mmio.device=4K@0xADDR:IRQ` for each device itself, before a "--" in boot_args, and the
/// kernel finds the network card by that word (runtime/Kernel/Devices/Virtio/VirtioDiscovery.cs). The app's end pulses
/// the i8042 reset line, which Firecracker handles by exiting.
/// </summary>
public static class FirecrackerConfig
{
    /// <summary>Firecracker's limit on the command line it writes into the guest (x86_64: 2048 bytes with the NUL).</summary>
    public const int MaxCommandLineBytes = 2047;
    /// <summary>Room for Firecracker's own words: one `virtio_mmio.device=4K@0xd0001000:6` (about 40 bytes) per device.</summary>
    public const int ReservedBytes = 64;

    public sealed record Options
    {
        /// <summary>The ELF image (absolute path: Firecracker resolves relative ones against its own working directory).</summary>
        public required string KernelPath { get; init; }
        /// <summary>The host tap device for the network card, or null for none.</summary>
        public string? TapDevice { get; init; } = "tap0";
        /// <summary>The card's MAC address, or null for one derived from the machine (locally administered, 02:fc:00:...).</summary>
        public string? MacAddress { get; init; }
    }

    public static string Build(VmSpec vm, Options options)
    {
        if (!Path.IsPathFullyQualified(options.KernelPath)) throw new ArgumentException("Firecracker needs the image's absolute path");
        if (Encoding.UTF8.GetByteCount(vm.CommandLine) > MaxCommandLineBytes - ReservedBytes)
            throw new ArgumentException($"the kernel command line is {Encoding.UTF8.GetByteCount(vm.CommandLine):N0} bytes: Firecracker takes at most {MaxCommandLineBytes - ReservedBytes:N0} besides its device list");
        if (vm.Cpus is < 1 or > VmSpec.MaxCpus) throw new ArgumentException($"--cpus {vm.Cpus}: Firecracker takes 1 to {VmSpec.MaxCpus}");

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("boot-source");
            json.WriteString("kernel_image_path", options.KernelPath);
            json.WriteString("boot_args", vm.CommandLine);
            json.WriteEndObject();
            json.WriteStartArray("drives");
            json.WriteEndArray();
            json.WriteStartObject("machine-config");
            json.WriteNumber("vcpu_count", vm.Cpus);
            json.WriteNumber("mem_size_mib", vm.MemoryMiB);
            json.WriteBoolean("smt", false);
            json.WriteEndObject();
            json.WriteStartArray("network-interfaces");
            if (options.TapDevice is { } tap)
            {
                json.WriteStartObject();
                json.WriteString("iface_id", "eth0");
                json.WriteString("guest_mac", options.MacAddress ?? vm.MacAddress([0x02, 0xfc, 0x00]));
                json.WriteString("host_dev_name", tap);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
