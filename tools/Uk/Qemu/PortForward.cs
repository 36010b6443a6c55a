namespace Unikernel.Tools.Qemu;

/// <summary>
/// `uk run -p [IP:]HOST:GUEST[/tcp|/udp]`, Docker's syntax: a host port forwarded to a guest port through user
/// networking. Unlike Docker the host side listens on 127.0.0.1 unless an address is given (0.0.0.0: every
/// interface), so that a guest is not exposed to the network by default.
/// </summary>
public sealed record PortForward(string Protocol, string HostAddress, int HostPort, int GuestPort)
{
    public const string DefaultHostAddress = "127.0.0.1";

    /// <summary>The QEMU hostfwd rule.</summary>
    public string HostForward => QemuNetwork.Forward(Protocol, HostPort, GuestPort, HostAddress);

    /// <exception cref="ArgumentException">What is wrong with <paramref name="text"/>, naming it.</exception>
    public static PortForward Parse(string text)
    {
        string spec = text, protocol = "tcp";
        int slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = spec[(slash + 1)..].ToLowerInvariant();
            if (protocol is not ("tcp" or "udp")) throw Bad(text, $"the protocol must be tcp or udp, not '{spec[(slash + 1)..]}'");
            spec = spec[..slash];
        }
        string[] parts = spec.Split(':');
        string address = DefaultHostAddress;
        if (parts.Length == 3)
        {
            address = parts[0];
            if (!IsDottedQuad(address)) throw Bad(text, $"'{address}' is not an IPv4 address (A.B.C.D)");
        }
        else if (parts.Length != 2) throw Bad(text, "expected [IP:]HOST:GUEST[/tcp|/udp]");
        int host = Port(text, parts[^2], "host"), guest = Port(text, parts[^1], "guest");
        return new PortForward(protocol, address, host, guest);
    }

    // Four decimal numbers 0-255: IPAddress.TryParse also takes "1.2.3" (as 1.2.0.3) and "1", which QEMU's hostfwd does not.
    private static bool IsDottedQuad(string address)
    {
        string[] parts = address.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && int.TryParse(p, System.Globalization.NumberStyles.None, null, out int n) && n <= 255);
    }

    private static int Port(string text, string value, string side)
        => int.TryParse(value, System.Globalization.NumberStyles.None, null, out int port) && port is >= 1 and <= 65535
            ? port
            : throw Bad(text, $"the {side} port must be 1-65535, not '{value}'");

    private static ArgumentException Bad(string text, string why) => new($"-p {text}: {why}");
}
