namespace Unikernel.Tools.Qemu;

/// <summary>
/// `uk run --metadata [IP:]PORT`: an instance metadata server on the host (the tests' own, or a tool that serves AWS's
/// or GCE's layout) that the guest reaches where a cloud's is, 169.254.169.254:80, through QEMU user networking's
/// guestfwd. slirp only forwards addresses inside its own network, so the guest's network becomes
/// <see cref="UserNetwork"/> (the guest 169.254.169.15, gateway .2, DNS .3) instead of 10.0.2.0/24; the metadata
/// address is then on the link, as on a cloud. guestfwd joins guest connections to ONE connection that QEMU opens to
/// the server when it starts: the server must be listening by then and keep the connection open across requests
/// (HTTP/1.1 keep-alive, as the kernel's client does: runtime/Kernel/Net/Http/PolledHttpClient.cs).
/// </summary>
public sealed record MetadataForward(string HostAddress, int HostPort)
{
    public const string GuestAddress = "169.254.169.254";
    public const int GuestPort = 80;
    /// <summary>slirp's network option: a /24 that holds 169.254.169.254.</summary>
    public const string UserNetwork = "net=169.254.169.0/24";

    /// <summary>The QEMU guestfwd rule.</summary>
    public string GuestForward => $"tcp:{GuestAddress}:{GuestPort}-tcp:{HostAddress}:{HostPort}";

    /// <summary>
    /// Why QEMU could not connect to the server (it would stop with a bare "Connection refused"), or null. The probe
    /// connection closes at once, which an HTTP server takes as a client that changed its mind.
    /// </summary>
    public string? Problem()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            probe.Connect(HostAddress, HostPort);
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return $"--metadata: no metadata server listens on {HostAddress}:{HostPort} ({e.Message}): start it before the guest, QEMU connects to it once at start";
        }
    }

    /// <exception cref="ArgumentException">What is wrong with <paramref name="text"/>, naming it.</exception>
    public static MetadataForward Parse(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length > 2) throw Bad(text, "expected [IP:]PORT");
        string address = parts.Length == 2 ? parts[0] : PortForward.DefaultHostAddress;
        if (!System.Net.IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || address.Count(c => c == '.') != 3)
            throw Bad(text, $"'{address}' is not an IPv4 address (A.B.C.D)");
        if (!int.TryParse(parts[^1], System.Globalization.NumberStyles.None, null, out int port) || port is < 1 or > 65535)
            throw Bad(text, $"the port must be 1-65535, not '{parts[^1]}'");
        return new MetadataForward(address, port);
    }

    private static ArgumentException Bad(string text, string why) => new($"--metadata {text}: {why}");
}
