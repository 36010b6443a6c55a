namespace Unikernel.Tools.Qemu;

/// <summary>
/// A virtio-net card on QEMU's user networking (slirp): the guest gets 10.0.2.15/24 by DHCP behind a NAT whose gateway
/// is 10.0.2.2 and DNS 10.0.2.3 (runtime/Kernel/Net/DhcpClient.cs). Host ports can be
/// forwarded to guest ports. microvm gets a virtio-mmio card (made modern: QEMU's virtio-mmio is legacy by
/// default, and the kernel drives virtio 1.x only), pc a virtio-pci one without its boot ROM.
/// </summary>
public sealed record QemuNetwork
{
    /// <summary>QEMU hostfwd rules, e.g. "tcp:127.0.0.1:8080-:80" (see <see cref="Forward"/>).</summary>
    public IReadOnlyList<string> HostForwards { get; init; } = [];

    /// <summary>A hostfwd rule: <paramref name="protocol"/> ("tcp" or "udp") from a host port to a guest port.</summary>
    public static string Forward(string protocol, int hostPort, int guestPort, string hostAddress = "127.0.0.1")
        => $"{protocol}:{hostAddress}:{hostPort}-:{guestPort}";

    /// <summary>
    /// More of slirp's own options, comma-separated (e.g. "net=10.9.0.0/24,hostname=guest,dnssearch=example"): what its
    /// DHCP server hands out.
    /// </summary>
    public string UserNetworkOptions { get; init; } = "";

    /// <summary>The QEMU arguments for this network on <paramref name="machine"/>.</summary>
    public IEnumerable<string> Arguments(MachineKind machine)
    {
        string netdev = "user,id=net0" + (UserNetworkOptions.Length > 0 ? "," + UserNetworkOptions : "")
                      + string.Concat(HostForwards.Select(f => ",hostfwd=" + f));
        yield return "-netdev";
        yield return netdev;
        if (machine == MachineKind.Microvm)
        {
            yield return "-global";
            yield return "virtio-mmio.force-legacy=false";
            yield return "-device";
            yield return "virtio-net-device,netdev=net0";
        }
        else
        {
            yield return "-device";
            yield return "virtio-net-pci,netdev=net0,romfile=";
        }
    }
}
