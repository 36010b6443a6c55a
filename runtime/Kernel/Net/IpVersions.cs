namespace Kernel.Net
{
    // Which IP versions a bound port takes traffic of, as a bit set: an AF_INET socket is V4; an AF_INET6
    // socket bound to :: is dual-stack (Both, IPv4 peers then appear as ::ffff:a.b.c.d) unless IPV6_V6ONLY
    // makes it V6. Two sockets on one port conflict only when their sets meet, so 0.0.0.0:P and a
    // v6-only [::]:P coexist as on Linux, and IPv4 input never reaches a v6-only socket.
    internal static class IpVersions
    {
        public const int V4 = 1, V6 = 2, Both = V4 | V6;

        public static bool Meet(int a, int b) => (a & b) != 0;
    }
}
