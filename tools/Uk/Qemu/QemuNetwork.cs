namespace Unikernel.Tools.Qemu;

/// <summary>
/// The guest's virtio-net card and what its other end is. By default QEMU's user networking (slirp): the guest gets
/// 10.0.2.15/24 by DHCP (runtime/Kernel/Net/Dhcp/DhcpClient.cs) behind a NAT whose gateway is 10.0.2.2 and DNS 10.0.2.3
/// (<see cref="UserNetworkOptions"/> changes what slirp's DHCP server hands out), and host ports can be forwarded to
/// guest ports (slirp listens on a forwarded port with a backlog of 1, so a burst of new connections from the host
/// waits for the host TCP's retransmissions: docs/benchmarks.md, "The ~200 ms stalls"). With <see cref="TapDevice"/> the card is on an existing host tap device instead (full speed, no NAT:
/// the guest needs a static address on the tap's subnet). With <see cref="Relay"/> the card's frames go through a UDP
/// relay on the host before they reach user networking (the robustness tests' drop/reorder/fuzz relay). microvm gets
/// a virtio-mmio card (made modern: QEMU's virtio-mmio is legacy by default, and the kernel drives virtio 1.x only),
/// pc a virtio-pci one without its boot ROM.
/// </summary>
public sealed record QemuNetwork
{
    /// <summary>QEMU hostfwd rules, e.g. "tcp:127.0.0.1:8080-:80" (see <see cref="Forward"/> and <see cref="PortForward"/>).</summary>
    public IReadOnlyList<string> HostForwards { get; init; } = [];

    /// <summary>QEMU guestfwd rules, e.g. "tcp:169.254.169.254:80-tcp:127.0.0.1:8181" (see <see cref="MetadataForward"/>).</summary>
    public IReadOnlyList<string> GuestForwards { get; init; } = [];

    /// <summary>A host tap device (e.g. "uktap0", made with `ip tuntap add`) instead of user networking; null: user networking.</summary>
    public string? TapDevice { get; init; }

    /// <summary>Route the card's frames through a relay on the host's loopback before user networking; null: direct.</summary>
    public QemuNetworkRelay? Relay { get; init; }

    /// <summary>A hostfwd rule: <paramref name="protocol"/> ("tcp" or "udp") from a host port to a guest port.</summary>
    public static string Forward(string protocol, int hostPort, int guestPort, string hostAddress = "127.0.0.1")
        => $"{protocol}:{hostAddress}:{hostPort}-:{guestPort}";

    /// <summary>
    /// More of slirp's own options, comma-separated (e.g. "net=10.9.0.0/24,hostname=guest,dnssearch=example"): what its
    /// DHCP server hands out.
    /// </summary>
    public string UserNetworkOptions { get; init; } = "";

    /// <summary>More properties of the card's -device, comma-separated (e.g. "bus=rp1,disable-legacy=on": a modern-only card behind a PCIe root port).</summary>
    public string CardOptions { get; init; } = "";

    /// <summary>The QEMU arguments for this network on <paramref name="machine"/>.</summary>
    public IEnumerable<string> Arguments(MachineKind machine)
    {
        if (TapDevice != null && (HostForwards.Count > 0 || GuestForwards.Count > 0 || Relay != null))
            throw new ArgumentException("a tap device is reached directly: it takes no host or guest forwards and no relay");
        string user = "user,id=" + (Relay != null ? "user0" : "net0") + (UserNetworkOptions.Length > 0 ? "," + UserNetworkOptions : "")
                    + string.Concat(HostForwards.Select(f => ",hostfwd=" + f)) + string.Concat(GuestForwards.Select(f => ",guestfwd=" + f));
        if (TapDevice != null)
        {
            // script=no: the device exists and is configured already (QEMU would otherwise run /etc/qemu-ifup).
            // vnet_hdr=on: frames carry the virtio-net header, without which QEMU offers the card no checksum offload.
            yield return "-netdev";
            yield return $"tap,id=net0,ifname={TapDevice},script=no,downscript=no,vnet_hdr=on";
        }
        else if (Relay is { } relay)
        {
            // The card on one UDP socket pair, user networking on another, joined to it by a hub: the relay on the
            // host sits between the two pairs and decides what each frame becomes.
            yield return "-netdev";
            yield return $"socket,id=net0,udp=127.0.0.1:{relay.GuestSideRelayPort},localaddr=127.0.0.1:{relay.GuestSideQemuPort}";
            yield return "-netdev";
            yield return user;
            yield return "-netdev";
            yield return $"socket,id=relay0,udp=127.0.0.1:{relay.UserSideRelayPort},localaddr=127.0.0.1:{relay.UserSideQemuPort}";
            yield return "-netdev";
            yield return "hubport,id=hub0user,hubid=0,netdev=user0";
            yield return "-netdev";
            yield return "hubport,id=hub0relay,hubid=0,netdev=relay0";
        }
        else
        {
            yield return "-netdev";
            yield return user;
        }
        if (machine == MachineKind.Microvm)
        {
            yield return "-global";
            yield return "virtio-mmio.force-legacy=false";
            yield return "-device";
            yield return "virtio-net-device,netdev=net0" + (CardOptions.Length > 0 ? "," + CardOptions : "");
        }
        else
        {
            yield return "-device";
            yield return "virtio-net-pci,netdev=net0,romfile=" + (CardOptions.Length > 0 ? "," + CardOptions : "");
        }
    }
}

/// <summary>
/// The loopback UDP ports of a relayed network: QEMU sends the card's frames from GuestSideQemuPort to GuestSideRelayPort
/// and takes frames for the card on GuestSideQemuPort; likewise user networking's frames leave from UserSideQemuPort to
/// UserSideRelayPort. One UDP datagram is one Ethernet frame.
/// </summary>
public sealed record QemuNetworkRelay(int GuestSideQemuPort, int GuestSideRelayPort, int UserSideQemuPort, int UserSideRelayPort);
