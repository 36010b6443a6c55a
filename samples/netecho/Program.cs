using System.Net;
using System.Net.Sockets;
using System.Text;

// netecho loopback    -- TCP and UDP over 127.0.0.1 inside one process; deterministic output, exit 0
// netecho dualstack   -- AF_INET6 sockets: [::] taking IPv4 peers (::ffff:a.b.c.d), IPV6_V6ONLY, TCP and UDP over ::1; deterministic output, exit 0
// netecho serve N [ADDRESS] -- echo TCP and UDP on port 7 (of 0.0.0.0, or ADDRESS: :: is dual-stack) until N TCP connections have closed, print /proc/net/drops if there is one, exit 0
// netecho client ADDRESS PORT BYTES -- send BYTES to an echo server, check what comes back, exit 0 if it matches
// netecho resolve NAME...  -- the IPv4 addresses getaddrinfo gives for each name (musl's resolver: /etc/hosts, DNS)
// netecho fetch URL...     -- GET each URL with HttpClient, print status and body; exit 0 if all succeeded
// netecho config [SECONDS] -- the host name and the resolver's files; then wait SECONDS
// netecho unix             -- AF_UNIX stream, datagram and seqpacket sockets, socketpair, SCM_RIGHTS (UnixSockets.cs)
string mode = args.Length > 0 ? args[0] : "loopback";
return mode switch
{
    "loopback" => await Loopback(),
    "dualstack" => await DualStack(),
    "serve" => await Serve(args.Length > 1 ? int.Parse(args[1]) : 1, args.Length > 2 ? IPAddress.Parse(args[2]) : IPAddress.Any),
    "client" when args.Length == 4 => await Client(IPAddress.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3])),
    "resolve" => await Resolve(args[1..]),
    "fetch" => await Fetch(args[1..]),
    "config" => await Config(args.Length > 1 ? int.Parse(args[1]) : 0),
    "unix" => await UnixSockets.Run(),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("usage: netecho loopback | dualstack | serve N | client ADDRESS PORT BYTES | resolve NAME... | fetch URL... | config [SECONDS] | unix");
    return 2;
}

static async Task<int> Resolve(string[] names)
{
    foreach (string name in names)
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(name, AddressFamily.InterNetwork);
            Console.WriteLine($"resolve {name}: {string.Join(", ", addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal))}");
        }
        catch (SocketException e)
        {
            Console.WriteLine($"resolve {name}: {e.SocketErrorCode}");
        }
    }
    return 0;
}

static async Task<int> Fetch(string[] urls)
{
    using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    int failures = 0;
    foreach (string url in urls)
    {
        // The path only: the same server is 127.0.0.1 on Linux and 10.0.2.2 (or a name) in the guest.
        string path = new Uri(url).PathAndQuery;
        try
        {
            using var response = await client.GetAsync(url);
            string body = await response.Content.ReadAsStringAsync();
            Console.WriteLine($"fetch {path}: {(int)response.StatusCode} {response.ReasonPhrase}, {body.Length} characters, {response.Content.Headers.ContentType}");
            Console.WriteLine(body.TrimEnd('\n'));
            if (!response.IsSuccessStatusCode) failures++;
        }
        catch (HttpRequestException e)
        {
            Console.WriteLine($"fetch {path}: failed, {e.HttpRequestError}: {e.Message}");
            failures++;
        }
    }
    return failures == 0 ? 0 : 1;
}

static async Task<int> Config(int seconds)
{
    Console.WriteLine($"config: host name {Environment.MachineName}");
    foreach (string file in new[] { "/etc/hostname", "/etc/hosts", "/etc/resolv.conf" })
        foreach (string line in File.ReadAllLines(file))
            Console.WriteLine($"config: {file}: {line}");
    if (seconds > 0)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"config: waited {seconds} s");
    }
    return 0;
}

static async Task<int> Client(IPAddress address, int port, int size)
{
    using var client = new TcpClient(address.AddressFamily);
    await client.ConnectAsync(address, port);
    Console.WriteLine($"client: connected to {client.Client.RemoteEndPoint}");
    var stream = client.GetStream();
    var payload = new byte[size];
    new Random(size).NextBytes(payload);
    var send = Task.Run(async () =>
    {
        await stream.WriteAsync(payload);
        client.Client.Shutdown(SocketShutdown.Send);
    });
    var received = new MemoryStream();
    var buffer = new byte[65536];
    int n;
    while ((n = await stream.ReadAsync(buffer)) > 0) received.Write(buffer, 0, n);
    await send;
    bool same = received.ToArray().AsSpan().SequenceEqual(payload);
    Console.WriteLine($"client: {size} bytes sent, {received.Length} came back, {(same ? "identical" : "DIFFERENT")}");
    return same ? 0 : 1;
}

static async Task<int> Loopback()
{
    // TCP: a listener on an ephemeral port, three clients at once, each echoing a different amount.
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(16);
    var local = (IPEndPoint)listener.LocalEndPoint!;
    Console.WriteLine($"tcp listen: {local.Address}, port {(local.Port > 0 ? "assigned" : "zero")}");
    Console.WriteLine($"tcp accept-conn option: {listener.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)}");

    var server = Task.Run(async () =>
    {
        var handlers = new List<Task>();
        for (int i = 0; i < 3; i++)
        {
            Socket connection = await listener.AcceptAsync();
            handlers.Add(Task.Run(async () =>
            {
                using (connection)
                {
                    connection.NoDelay = true;
                    var buffer = new byte[8192];
                    int n;
                    while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                        await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                    connection.Shutdown(SocketShutdown.Send);
                }
            }));
        }
        await Task.WhenAll(handlers);
    });

    int[] sizes = [1, 5000, 200_000];
    var clients = sizes.Select(async size =>
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, local.Port));
        client.NoDelay = true;
        var peer = (IPEndPoint?)client.RemoteEndPoint;
        string outcome = await EchoExchange.RunAsync(client, size);
        return $"tcp echo {size} bytes: {outcome}, peer {peer?.Address}:{(peer?.Port == local.Port ? "listener" : peer?.Port)}";
    }).ToArray();
    foreach (string line in await Task.WhenAll(clients)) Console.WriteLine(line);
    await server;

    // A refused connection: nobody listens on the listener's port once it is closed.
    int port = local.Port;
    listener.Close();
    try
    {
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await refused.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        Console.WriteLine("tcp refused: connected?!");
    }
    catch (SocketException e) { Console.WriteLine($"tcp refused: {e.SocketErrorCode}"); }

    // UDP: two sockets, datagrams both ways, boundaries kept, a truncated read.
    using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    var bEnd = (IPEndPoint)b.LocalEndPoint!;
    foreach (string text in new[] { "one", "two two", "three three three" })
        await a.SendToAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, bEnd);
    var udpBuffer = new byte[64];
    for (int i = 0; i < 3; i++)
    {
        var r = await b.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
        var from = (IPEndPoint)r.RemoteEndPoint;
        Console.WriteLine($"udp datagram: \"{Encoding.ASCII.GetString(udpBuffer, 0, r.ReceivedBytes)}\" from {(from.Port == ((IPEndPoint)a.LocalEndPoint!).Port ? "a" : from.ToString())}");
    }
    await b.SendToAsync(Encoding.ASCII.GetBytes("reply"), SocketFlags.None, a.LocalEndPoint!);
    var reply = await a.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
    Console.WriteLine($"udp reply: \"{Encoding.ASCII.GetString(udpBuffer, 0, reply.ReceivedBytes)}\"");
    b.Blocking = false;
    try { b.Receive(udpBuffer); Console.WriteLine("udp empty: got data?!"); }
    catch (SocketException e) { Console.WriteLine($"udp empty: {e.SocketErrorCode}"); }

    Console.WriteLine("loopback: done");
    return 0;
}

static async Task<int> DualStack()
{
    Console.WriteLine($"dual: OS supports IPv6 {Socket.OSSupportsIPv6}, IPv4 {Socket.OSSupportsIPv4}");
    using (var plain = new Socket(SocketType.Stream, ProtocolType.Tcp))
        Console.WriteLine($"dual: a socket of no family is {plain.AddressFamily}, dual mode {plain.DualMode}");

    // A dual-stack TCP listener on [::]: an IPv4 client and a dual-mode client connect to 127.0.0.1.
    using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
    Console.WriteLine($"tcp6: v6only option before {listener.GetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IPv6Only)}");
    listener.DualMode = true;
    listener.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
    listener.Listen(8);
    var local = (IPEndPoint)listener.LocalEndPoint!;
    int port = local.Port;
    Console.WriteLine($"tcp6 listen: {local.Address}, dual mode {listener.DualMode}");
    try { listener.DualMode = false; Console.WriteLine("tcp6: v6only changed after bind?!"); }
    catch (SocketException e) { Console.WriteLine($"tcp6: v6only after bind: {e.SocketErrorCode}"); }

    foreach (bool dualClient in new[] { false, true })
    {
        using var client = dualClient ? new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true }
                                      : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        using Socket accepted = await accepting;
        string name = dualClient ? "dual-mode client" : "IPv4 client";
        Console.WriteLine($"tcp6 {name}: client sees peer {Show(client.RemoteEndPoint, port)}, local {Show(client.LocalEndPoint, port)}");
        Console.WriteLine($"tcp6 {name}: server sees peer {Show(accepted.RemoteEndPoint, port)}, local {Show(accepted.LocalEndPoint, port)}, family {accepted.AddressFamily}");
        byte[] payload = Encoding.ASCII.GetBytes($"hello from the {name}");
        await client.SendAsync(payload, SocketFlags.None);
        var buffer = new byte[64];
        int n = await accepted.ReceiveAsync(buffer, SocketFlags.None);
        await accepted.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        n = await client.ReceiveAsync(buffer, SocketFlags.None);
        Console.WriteLine($"tcp6 {name}: echo \"{Encoding.ASCII.GetString(buffer, 0, n)}\"");
    }

    // IPV6_V6ONLY: a v6-only [::]:P beside an IPv4 0.0.0.0:P; a dual-stack one would conflict; IPv4 never reaches the v6-only one.
    using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    v4.Bind(new IPEndPoint(IPAddress.Any, 0));
    v4.Listen(1);
    int shared = ((IPEndPoint)v4.LocalEndPoint!).Port;
    using var v6only = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
    v6only.Bind(new IPEndPoint(IPAddress.IPv6Any, shared));
    v6only.Listen(1);
    Console.WriteLine($"tcp6 v6only: bound beside IPv4 on the same port, v6only option {v6only.GetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IPv6Only)}");
    using (var conflicting = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true })
    {
        try { conflicting.Bind(new IPEndPoint(IPAddress.IPv6Any, shared)); Console.WriteLine("tcp6 dual: bound on a taken port?!"); }
        catch (SocketException e) { Console.WriteLine($"tcp6 dual on the same port: {e.SocketErrorCode}"); }
    }
    v4.Close();
    using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
    {
        try { await refused.ConnectAsync(new IPEndPoint(IPAddress.Loopback, shared)); Console.WriteLine("tcp6 v6only: an IPv4 client got in?!"); }
        catch (SocketException e) { Console.WriteLine($"tcp6 v6only: IPv4 client {e.SocketErrorCode}"); }
    }
    using (var mapped = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false })
    {
        try { mapped.Bind(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 0)); Console.WriteLine("tcp6 v6only: bound a mapped address?!"); }
        catch (SocketException e) { Console.WriteLine($"tcp6 v6only bind to ::ffff:127.0.0.1: {e.SocketErrorCode}"); }
    }

    // UDP: a dual-stack socket on [::] and an IPv4 one, datagrams both ways.
    using var udp6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
    udp6.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
    int udpPort = ((IPEndPoint)udp6.LocalEndPoint!).Port;
    using var udp4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    udp4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    int udp4Port = ((IPEndPoint)udp4.LocalEndPoint!).Port;
    await udp4.SendToAsync(Encoding.ASCII.GetBytes("ping over IPv4"), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, udpPort));
    var udpBuffer = new byte[64];
    var r = await udp6.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0));
    Console.WriteLine($"udp6: \"{Encoding.ASCII.GetString(udpBuffer, 0, r.ReceivedBytes)}\" from {Show(r.RemoteEndPoint, udp4Port)}");
    await udp6.SendToAsync(Encoding.ASCII.GetBytes("pong to a mapped address"), SocketFlags.None, r.RemoteEndPoint);
    var back = await udp4.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
    Console.WriteLine($"udp4: \"{Encoding.ASCII.GetString(udpBuffer, 0, back.ReceivedBytes)}\" from {Show(back.RemoteEndPoint, udpPort)}");
    using (var udpOnly = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = false })
    {
        try { udpOnly.SendTo(Encoding.ASCII.GetBytes("x"), new IPEndPoint(IPAddress.Loopback.MapToIPv6(), udp4Port)); Console.WriteLine("udp6 v6only: sent to IPv4?!"); }
        catch (SocketException e) { Console.WriteLine($"udp6 v6only to ::ffff:127.0.0.1: {e.SocketErrorCode}"); }
    }
    // IPv6 proper over ::1: a v6-only listener, an IPv6 client, a refusal for IPv4 and for a closed port; UDP both ways.
    using var loop6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
    loop6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
    loop6.Listen(4);
    int port6 = ((IPEndPoint)loop6.LocalEndPoint!).Port;
    Console.WriteLine($"tcp ::1 listen: {Show(loop6.LocalEndPoint, port6)}");
    foreach (int size in new[] { 1, 100_000 })
    {
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        var accepting = loop6.AcceptAsync();
        await client.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port6));
        using Socket accepted = await accepting;
        string peers = $"client peer {Show(client.RemoteEndPoint, port6)}, server peer {Show(accepted.RemoteEndPoint, port6)}";
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[8192];
            int n;
            while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None)) > 0) await accepted.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            accepted.Shutdown(SocketShutdown.Send);
        });
        var send = Task.Run(async () => { await client.SendAsync(payload, SocketFlags.None); client.Shutdown(SocketShutdown.Send); });
        var received = new MemoryStream();
        var chunk = new byte[65536];
        int got;
        while ((got = await client.ReceiveAsync(chunk, SocketFlags.None)) > 0) received.Write(chunk, 0, got);
        await Task.WhenAll(send, echo);
        bool same = received.ToArray().AsSpan().SequenceEqual(payload);
        Console.WriteLine($"tcp ::1 echo {size} bytes: {(same ? "ok" : "MISMATCH " + received.Length)}, {peers}");
    }
    using (var v4ToV6 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
    {
        try { await v4ToV6.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port6)); Console.WriteLine("tcp ::1: an IPv4 client got in?!"); }
        catch (SocketException e) { Console.WriteLine($"tcp ::1: IPv4 client {e.SocketErrorCode}"); }
    }
    loop6.Close();
    using (var closed = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp))
    {
        try { await closed.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port6)); Console.WriteLine("tcp ::1 closed port: connected?!"); }
        catch (SocketException e) { Console.WriteLine($"tcp ::1 closed port: {e.SocketErrorCode}"); }
    }
    using var u6a = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
    using var u6b = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
    u6a.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
    u6b.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
    int u6aPort = ((IPEndPoint)u6a.LocalEndPoint!).Port, u6bPort = ((IPEndPoint)u6b.LocalEndPoint!).Port;
    await u6a.SendToAsync(Encoding.ASCII.GetBytes("ping over ::1"), SocketFlags.None, new IPEndPoint(IPAddress.IPv6Loopback, u6bPort));
    var r6 = await u6b.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0));
    Console.WriteLine($"udp ::1: \"{Encoding.ASCII.GetString(udpBuffer, 0, r6.ReceivedBytes)}\" from {Show(r6.RemoteEndPoint, u6aPort)}");
    await u6b.SendToAsync(Encoding.ASCII.GetBytes("pong over ::1"), SocketFlags.None, r6.RemoteEndPoint);
    var back6 = await u6a.ReceiveFromAsync(udpBuffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0));
    Console.WriteLine($"udp ::1: \"{Encoding.ASCII.GetString(udpBuffer, 0, back6.ReceivedBytes)}\" from {Show(back6.RemoteEndPoint, u6bPort)}");
    Console.WriteLine("dualstack: done");
    return 0;
}

// An endpoint with its port named when it is the expected one (ephemeral ports differ from run to run).
static string Show(EndPoint? endPoint, int expectedPort)
{
    var ip = (IPEndPoint)endPoint!;
    string port = ip.Port == expectedPort ? "P" : ip.Port == 0 ? "0" : "ephemeral";
    return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip.Address}]:{port}" : $"{ip.Address}:{port}";
}

static async Task<int> Serve(int connections, IPAddress address)
{
    bool dual = address.Equals(IPAddress.IPv6Any);
    using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    if (dual) udp.DualMode = true;
    udp.Bind(new IPEndPoint(address, 7));
    _ = Task.Run(async () =>
    {
        var buffer = new byte[2048];
        var any = new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (true)
        {
            var r = await udp.ReceiveFromAsync(buffer, SocketFlags.None, any);
            await udp.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
        }
    });

    using var listener = new TcpListener(address, 7);
    if (dual) listener.Server.DualMode = true;
    listener.Start();
    Console.WriteLine("serve: echoing tcp and udp port 7");
    var handlers = new List<Task<long>>();
    for (int i = 0; i < connections; i++)
    {
        TcpClient client = await listener.AcceptTcpClientAsync();
        handlers.Add(Task.Run(async () =>
        {
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[16384];
                long total = 0;
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, n));
                    total += n;
                }
                return total;
            }
        }));
    }
    long[] totals = await Task.WhenAll(handlers);
    Console.WriteLine($"serve: {connections} connections, {totals.Sum()} bytes echoed");
    // The unikernel's per-reason drop counters (not a Linux file), for the robustness tests.
    if (File.Exists("/proc/net/drops"))
        foreach (string line in File.ReadAllLines("/proc/net/drops")) Console.WriteLine("serve: drops: " + line);
    return 0;
}
