namespace Unikernel.Tools.Qemu;

/// <summary>
/// Checks that `uk run --tap NAME` can work before QEMU starts: QEMU, run as root, would quietly create a missing
/// device (unconfigured, so the guest would be unreachable) and reports other problems in ioctl terms.
/// </summary>
public static class TapDevice
{
    /// <summary>Null if <paramref name="name"/> is an existing tap device and /dev/net/tun exists, else what is wrong and how to fix it.</summary>
    public static string? Problem(string name, string root = "/")
    {
        if (name.Length is 0 or > 15 || name.Any(c => c is '/' or ',' or ':' || char.IsWhiteSpace(c)))
            return $"--tap {name}: not a network interface name (1-15 characters, no '/', ',', ':' or spaces)";
        if (!File.Exists(Path.Combine(root, "dev/net/tun")))
            return "--tap: /dev/net/tun is missing (load the tun module: modprobe tun; in a container, pass the device in)";
        string device = Path.Combine(root, "sys/class/net", name);
        if (!Directory.Exists(device))
            return $"--tap {name}: no such network device; create it first, e.g.: ip tuntap add dev {name} mode tap && ip addr add 192.168.100.1/24 dev {name} && ip link set {name} up";
        if (!File.Exists(Path.Combine(device, "tun_flags")))
            return $"--tap {name}: the device exists but is not a tap device";
        return null;
    }
}
