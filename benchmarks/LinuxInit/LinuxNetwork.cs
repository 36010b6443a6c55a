// The Linux microVM's network, brought up by /init with what a static program has: finit_module for the
// drivers, then the classic ioctls on a datagram socket (SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFFLAGS for lo and
// eth0, SIOCADDRT for the default route). No netlink, no udev: the card is eth0, named by the kernel.
using System.Net;
using System.Runtime.InteropServices;

namespace Unikernel.Benchmarks.LinuxInit;

public static unsafe class LinuxNetwork
{
    /// <summary>The environment entry that asks for a network: "10.0.2.15/24,10.0.2.2".</summary>
    public const string Variable = "INIT_NETWORK";

    private const int AF_INET = 2, SOCK_DGRAM = 2;
    private const uint SIOCADDRT = 0x890B, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCSIFADDR = 0x8916, SIOCSIFNETMASK = 0x891C;
    private const short IFF_UP = 0x1, IFF_RUNNING = 0x40;
    private const ushort RTF_UP = 0x1, RTF_GATEWAY = 0x2;
    private const int EEXIST = 17;

    /// <summary>Loads the modules in <paramref name="moduleDirectory"/> and configures eth0 as <paramref name="setting"/> says; null, or what failed.</summary>
    public static string? Configure(string setting, string moduleDirectory)
    {
        string[] parts = setting.Split(',');
        string[] cidr = parts[0].Split('/');
        if (parts.Length != 2 || cidr.Length != 2 || !IPAddress.TryParse(cidr[0], out var address)
            || !int.TryParse(cidr[1], out int prefix) || !IPAddress.TryParse(parts[1], out var gateway))
            return $"{Variable}={setting} is not <address>/<prefix>,<gateway>";

        if (Directory.Exists(moduleDirectory))
            foreach (string module in Directory.GetFiles(moduleDirectory, "*.ko").Order(StringComparer.Ordinal))
            {
                int fd = open(module, 0x80000);
                if (fd < 0) return $"open {module}: errno {Marshal.GetLastPInvokeError()}";
                int result = finit_module(fd, "", 0);
                int error = Marshal.GetLastPInvokeError();
                close(fd);
                if (result != 0 && error != EEXIST) return $"finit_module {module}: errno {error}";
            }

        int socket = Socket(AF_INET, SOCK_DGRAM, 0);
        if (socket < 0) return $"socket: errno {Marshal.GetLastPInvokeError()}";
        try
        {
            return SetAddress(socket, "lo", IPAddress.Loopback, 8)
                ?? SetAddress(socket, "eth0", address, prefix)
                ?? AddDefaultRoute(socket, gateway);
        }
        finally { close(socket); }
    }

    private static string? SetAddress(int socket, string device, IPAddress address, int prefix)
    {
        byte* request = stackalloc byte[40];   // struct ifreq: the name, then a union (here a sockaddr_in or the flags)
        Name(request, device);
        Inet(request + 16, address);
        if (ioctl(socket, SIOCSIFADDR, request) != 0) return $"SIOCSIFADDR {device}: errno {Marshal.GetLastPInvokeError()}";
        Name(request, device);
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        Inet(request + 16, new IPAddress(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(mask))));
        if (ioctl(socket, SIOCSIFNETMASK, request) != 0) return $"SIOCSIFNETMASK {device}: errno {Marshal.GetLastPInvokeError()}";
        Name(request, device);
        if (ioctl(socket, SIOCGIFFLAGS, request) != 0) return $"SIOCGIFFLAGS {device}: errno {Marshal.GetLastPInvokeError()}";
        *(short*)(request + 16) |= IFF_UP | IFF_RUNNING;
        if (ioctl(socket, SIOCSIFFLAGS, request) != 0) return $"SIOCSIFFLAGS {device}: errno {Marshal.GetLastPInvokeError()}";
        return null;
    }

    private static string? AddDefaultRoute(int socket, IPAddress gateway)
    {
        // struct rtentry on x86-64: pad, rt_dst @8, rt_gateway @24, rt_genmask @40, rt_flags @56, ..., 120 bytes.
        byte* route = stackalloc byte[120];
        new Span<byte>(route, 120).Clear();
        Inet(route + 8, IPAddress.Any);
        Inet(route + 24, gateway);
        Inet(route + 40, IPAddress.Any);
        *(ushort*)(route + 56) = RTF_UP | RTF_GATEWAY;
        if (ioctl(socket, SIOCADDRT, route) != 0) return $"SIOCADDRT: errno {Marshal.GetLastPInvokeError()}";
        return null;
    }

    private static void Name(byte* request, string device)
    {
        new Span<byte>(request, 40).Clear();
        for (int i = 0; i < device.Length; i++) request[i] = (byte)device[i];
    }

    private static void Inet(byte* sockaddr, IPAddress address)
    {
        *(ushort*)sockaddr = AF_INET;
        address.GetAddressBytes().CopyTo(new Span<byte>(sockaddr + 4, 4));
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] private static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", EntryPoint = "socket", SetLastError = true)] private static extern int Socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, nuint request, byte* argument);
    [DllImport("libc", SetLastError = true)] private static extern nint syscall(nint number, nint a, nint b, nint c);

    private const int SYS_finit_module = 313;

    private static int finit_module(int fd, string parameters, int flags)
    {
        nint text = Marshal.StringToCoTaskMemUTF8(parameters);
        try { return (int)syscall(SYS_finit_module, fd, text, flags); }
        finally { Marshal.FreeCoTaskMem(text); }
    }
}
