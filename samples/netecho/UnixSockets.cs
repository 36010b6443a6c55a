using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

// The app runs on Linux or in the image only (File.GetUnixFileMode and libc's calls below).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

/// <summary>
/// `netecho unix`: AF_UNIX sockets as an app uses them, with output that must be the same on Linux and in the
/// image. Through .NET's Socket API (UnixDomainSocketEndPoint, the epoll engine): a stream echo over a path in
/// /tmp with three clients at once, the names each side reports, EADDRINUSE, ENOENT and ECONNREFUSED, an
/// abstract name, datagrams both ways, shutdown and reset, a non-blocking accept, SO_PEERCRED. Through libc
/// (socketpair, sendmsg/recvmsg): a socket pair and a pipe descriptor passed with SCM_RIGHTS.
/// </summary>
internal static partial class UnixSockets
{
    private const string Directory = "/tmp/netecho-unix";

    public static async Task<int> Run()
    {
        Libc.Umask(0x12);   // 022, whatever the caller had: bind() creates the socket file with 0777 & ~umask
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory);
        await StreamEcho();
        Names();
        Abstract();
        Datagrams();
        ShutdownAndReset();
        PairAndRights();
        Details();
        Console.WriteLine("unix: done");
        return 0;
    }

    private static Socket NewStream() => new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    private static async Task StreamEcho()
    {
        string path = Path.Combine(Directory, "echo.sock");
        using var listener = NewStream();
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(8);
        Console.WriteLine($"stream listen: {listener.LocalEndPoint}, file mode {File.GetUnixFileMode(path)}");
        Console.WriteLine($"stream accept-conn option: {listener.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)}");

        var server = Task.Run(async () =>
        {
            var handlers = new List<Task<string>>();
            for (int i = 0; i < 3; i++)
            {
                Socket connection = await listener.AcceptAsync();
                handlers.Add(Task.Run(async () =>
                {
                    using (connection)
                    {
                        string names = $"local {connection.LocalEndPoint}, remote \"{connection.RemoteEndPoint}\"";
                        var buffer = new byte[8192];
                        long total = 0;
                        int n;
                        while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                        {
                            total += n;
                            await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                        }
                        connection.Shutdown(SocketShutdown.Send);
                        return $"{total} bytes, {names}";
                    }
                }));
            }
            var lines = await Task.WhenAll(handlers);
            Array.Sort(lines, StringComparer.Ordinal);
            return lines;
        });

        int[] sizes = [1, 5000, 300_000];
        var clients = sizes.Select(async size =>
        {
            using var client = NewStream();
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            string peer = client.RemoteEndPoint?.ToString() ?? "none";
            string outcome = await EchoExchange.RunAsync(client, size);
            return $"stream echo {size} bytes: {outcome}, peer {peer}";
        }).ToArray();
        foreach (string line in await Task.WhenAll(clients)) Console.WriteLine(line);
        foreach (string line in await server) Console.WriteLine($"stream served {line}");

        // SO_PEERCRED between the two ends of a connection: our own process, user and group.
        using (var client = NewStream())
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            using Socket accepted = await listener.AcceptAsync();
            var credentials = new byte[12];
            int length = accepted.GetRawSocketOption(1, 17, credentials);   // SOL_SOCKET, SO_PEERCRED
            int pid = BitConverter.ToInt32(credentials, 0), uid = BitConverter.ToInt32(credentials, 4), gid = BitConverter.ToInt32(credentials, 8);
            Console.WriteLine($"stream peer credentials: {length} bytes, pid {Ours(pid, Environment.ProcessId)}, uid {Ours(uid, (int)Libc.GetUid())}, gid {Ours(gid, (int)Libc.GetGid())}");
        }

        // A second socket on the same path: EADDRINUSE; the name outlives the listener until it is deleted.
        using (var second = NewStream())
        {
            try { second.Bind(new UnixDomainSocketEndPoint(path)); Console.WriteLine("stream bind again: bound?!"); }
            catch (SocketException e) { Console.WriteLine($"stream bind again: {e.SocketErrorCode}"); }
        }
        listener.Close();
        Console.WriteLine($"stream after close: file {(File.Exists(path) ? "still there" : "gone")}");
        try
        {
            using var refused = NewStream();
            await refused.ConnectAsync(new UnixDomainSocketEndPoint(path));
            Console.WriteLine("stream refused: connected?!");
        }
        catch (SocketException e) { Console.WriteLine($"stream refused: {e.SocketErrorCode}"); }
        File.Delete(path);
        try
        {
            using var missing = NewStream();
            await missing.ConnectAsync(new UnixDomainSocketEndPoint(path));
            Console.WriteLine("stream missing: connected?!");
        }
        catch (SocketException e) { Console.WriteLine($"stream missing: {e.SocketErrorCode}"); }
    }

    private static string Ours(int value, int own) => value == own ? "ours" : value.ToString();

    // What getsockname/getpeername report, as raw sockaddr lengths and bytes (.NET hides the lengths).
    private static unsafe void Names()
    {
        string path = Path.Combine(Directory, "names.sock");
        using var listener = NewStream();
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var client = NewStream();
        client.Connect(new UnixDomainSocketEndPoint(path));
        using Socket accepted = listener.Accept();
        Console.WriteLine($"names: listener {Name(listener, peer: false)}");
        Console.WriteLine($"names: client {Name(client, peer: false)}, its peer {Name(client, peer: true)}");
        Console.WriteLine($"names: accepted {Name(accepted, peer: false)}, its peer {Name(accepted, peer: true)}");
        using var unconnected = NewStream();
        Console.WriteLine($"names: unconnected {Name(unconnected, peer: false)}, its peer {Name(unconnected, peer: true)}");
        Console.WriteLine($"poll: unconnected {Poll(unconnected)}, listening {Poll(listener)}, connected {Poll(client)}, accepted {Poll(accepted)}");

        // A non-blocking accept with nobody waiting; the backlog takes connections before accept.
        listener.Blocking = false;
        try { listener.Accept(); Console.WriteLine("names: accept got one?!"); }
        catch (SocketException e) { Console.WriteLine($"names: non-blocking accept: {e.SocketErrorCode}"); }
    }

    private static unsafe string Name(Socket socket, bool peer)
    {
        byte* buffer = stackalloc byte[128];
        int length = 128;
        int result = peer ? Libc.GetPeerName((int)socket.Handle, buffer, &length) : Libc.GetSockName((int)socket.Handle, buffer, &length);
        if (result != 0) return $"errno {Marshal.GetLastPInvokeError()}";
        var text = new StringBuilder($"length {length}");
        if (length > 2)
        {
            text.Append(", \"");
            for (int i = 2; i < length; i++) text.Append(buffer[i] == 0 ? "\\0" : ((char)buffer[i]).ToString());
            text.Append('"');
        }
        return text.ToString();
    }

    private static void Abstract()
    {
        var name = new UnixDomainSocketEndPoint("\0netecho-abstract");
        using var listener = NewStream();
        listener.Bind(name);
        listener.Listen(1);
        Console.WriteLine($"abstract listen: {Name(listener, peer: false)}, file {(File.Exists("netecho-abstract") ? "exists?!" : "none")}");
        using var client = NewStream();
        client.Connect(name);
        using Socket accepted = listener.Accept();
        client.Send("over an abstract name"u8);
        var buffer = new byte[64];
        int n = accepted.Receive(buffer);
        Console.WriteLine($"abstract: \"{Encoding.ASCII.GetString(buffer, 0, n)}\", client peer {Name(client, peer: true)}");
        using var taken = NewStream();
        try { taken.Bind(name); Console.WriteLine("abstract bind again: bound?!"); }
        catch (SocketException e) { Console.WriteLine($"abstract bind again: {e.SocketErrorCode}"); }
        listener.Close();
        using var late = NewStream();
        try { late.Connect(name); Console.WriteLine("abstract after close: connected?!"); }
        catch (SocketException e) { Console.WriteLine($"abstract after close: {e.SocketErrorCode}"); }
    }

    private static unsafe void Datagrams()
    {
        string aPath = Path.Combine(Directory, "a.dgram"), bPath = Path.Combine(Directory, "b.dgram");
        using var a = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        using var b = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        a.Bind(new UnixDomainSocketEndPoint(aPath));
        b.Bind(new UnixDomainSocketEndPoint(bPath));
        var bEnd = new UnixDomainSocketEndPoint(bPath);
        foreach (string text in new[] { "one", "two two", "three three three" })
            a.SendTo(Encoding.ASCII.GetBytes(text), bEnd);
        Console.WriteLine($"datagram queued: {b.Available} bytes available (the first datagram)");
        var buffer = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            EndPoint from = new UnixDomainSocketEndPoint(aPath);
            int n = b.ReceiveFrom(buffer, ref from);
            Console.WriteLine($"datagram: \"{Encoding.ASCII.GetString(buffer, 0, n)}\" from {from}");
        }
        b.SendTo("reply"u8, new UnixDomainSocketEndPoint(aPath));
        int r = a.Receive(buffer);
        Console.WriteLine($"datagram reply: \"{Encoding.ASCII.GetString(buffer, 0, r)}\"");
        Console.WriteLine($"poll: datagram socket {Poll(a)}");

        // A datagram longer than the buffer: the rest is discarded (MSG_TRUNC); raw recv reports it.
        a.SendTo(Encoding.ASCII.GetBytes("a datagram longer than eight bytes"), bEnd);
        byte* small = stackalloc byte[8];
        long got = Libc.Recv((int)b.Handle, small, 8, 0x20);   // MSG_TRUNC: the datagram's full length
        Console.WriteLine($"datagram truncated: recv returned {got}, kept \"{Encoding.ASCII.GetString(new ReadOnlySpan<byte>(small, 8))}\", {b.Available} bytes left");

        // From an unnamed socket: the receiver sees no name; sending to a missing path fails.
        using var unnamed = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        unnamed.SendTo("anonymous"u8, bEnd);
        byte* from2 = stackalloc byte[128];
        int fromLength = 128;
        long m = Libc.RecvFrom((int)b.Handle, small, 8, 0, from2, &fromLength);
        Console.WriteLine($"datagram from unnamed: {m} bytes, source length {fromLength}");
        try { unnamed.SendTo("x"u8, new UnixDomainSocketEndPoint(Path.Combine(Directory, "nobody"))); Console.WriteLine("datagram to nobody: sent?!"); }
        catch (SocketException e) { Console.WriteLine($"datagram to nobody: {e.SocketErrorCode}"); }

        // A connected datagram socket whose peer closes: the next send is refused, then there is no peer.
        using var c = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        c.Connect(new UnixDomainSocketEndPoint(aPath));
        c.Send("to a"u8);
        Console.WriteLine($"datagram connected: a has {a.Available} bytes");
        a.Close();
        for (int i = 0; i < 2; i++)
        {
            try { c.Send("again"u8); Console.WriteLine("datagram to closed peer: sent?!"); }
            catch (SocketException e) { Console.WriteLine($"datagram to closed peer: {e.SocketErrorCode}"); }
        }
    }

    private static void ShutdownAndReset()
    {
        string path = Path.Combine(Directory, "reset.sock");
        using var listener = NewStream();
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);

        // Blocking calls wake: accept when a client connects, a read when data comes, a write when the reader drains.
        using (var client = NewStream())
        {
            var accepting = Task.Run(listener.Accept);
            Thread.Sleep(100);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using Socket server = accepting.Result;
            var reading = Task.Run(() => { var b = new byte[16]; int n = server.Receive(b); return Encoding.ASCII.GetString(b, 0, n); });
            Thread.Sleep(100);
            client.Send("wake up"u8);
            Console.WriteLine($"blocking: accept woke, read woke with \"{reading.Result}\"");
            var big = new byte[1_000_000];
            new Random(7).NextBytes(big);
            var writing = Task.Run(() => client.Send(big));
            Thread.Sleep(100);
            var drained = new MemoryStream();
            var chunk = new byte[65536];
            while (drained.Length < big.Length) drained.Write(chunk, 0, server.Receive(chunk));
            Console.WriteLine($"blocking: write of {writing.Result} bytes woke as the reader drained, identical {drained.ToArray().AsSpan().SequenceEqual(big)}");
        }

        // shutdown(SHUT_WR): the other side reads what was sent, then end of file; it can still answer.
        using (var client = NewStream())
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            using Socket server = listener.Accept();
            client.Send("last words"u8);
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[64];
            int n = server.Receive(buffer);
            int eof = server.Receive(buffer);
            Console.WriteLine($"shutdown: read \"{Encoding.ASCII.GetString(buffer, 0, n)}\" then {eof}; poll {Poll(server)}");
            server.Send("answer"u8);
            n = client.Receive(buffer);
            Console.WriteLine($"shutdown: the client still reads \"{Encoding.ASCII.GetString(buffer, 0, n)}\"");
            try { client.Send("more"u8); Console.WriteLine("shutdown: sent after shutdown?!"); }
            catch (SocketException e) { Console.WriteLine($"shutdown: send after shutdown: {e.SocketErrorCode}"); }
        }

        // Closing with unread data: the peer reads ECONNRESET once, then end of file; its sends fail with EPIPE.
        using (var client = NewStream())
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            Socket server = listener.Accept();
            client.Send("never read"u8);
            server.Close();
            Console.WriteLine($"reset: poll {Poll(client)}");
            var buffer = new byte[64];
            try { client.Receive(buffer); Console.WriteLine("reset: read data?!"); }
            catch (SocketException e) { Console.WriteLine($"reset: first read: {e.SocketErrorCode}"); }
            Console.WriteLine($"reset: second read: {client.Receive(buffer)}");
            try { client.Send("x"u8); Console.WriteLine("reset: sent?!"); }
            catch (SocketException e) { Console.WriteLine($"reset: send: {e.SocketErrorCode}"); }
        }

        // A connection the listener never accepted: closing the listener resets it.
        using (var client = NewStream())
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            client.Send("queued before accept"u8);
            listener.Close();
            var buffer = new byte[64];
            try { int n = client.Receive(buffer); Console.WriteLine($"unaccepted: read {n}"); }
            catch (SocketException e) { Console.WriteLine($"unaccepted: read: {e.SocketErrorCode}"); }
        }
    }

    private static unsafe string Poll(Socket socket)
    {
        Libc.PollFd fd = new() { Fd = (int)socket.Handle, Events = 0x1 | 0x4 | 0x2000 };   // POLLIN, POLLOUT, POLLRDHUP
        int n = Libc.Poll(&fd, 1, 0);
        return $"{n} 0x{fd.Revents:x}";
    }

    // socketpair and SCM_RIGHTS: .NET has no API for either, so libc's.
    private static unsafe void PairAndRights()
    {
        int* pair = stackalloc int[2];
        if (Libc.SocketPair(1, 1, 0, pair) != 0) { Console.WriteLine($"socketpair: errno {Marshal.GetLastPInvokeError()}"); return; }
        using var left = new Socket(new SafeSocketHandle(pair[0], true));
        using var right = new Socket(new SafeSocketHandle(pair[1], true));
        Console.WriteLine($"socketpair: {left.AddressFamily} {left.SocketType}, connected {left.Connected}, names {Name(left, peer: false)} / {Name(left, peer: true)}");
        left.Send("across the pair"u8);
        var buffer = new byte[64];
        int n = right.Receive(buffer);
        Console.WriteLine($"socketpair: \"{Encoding.ASCII.GetString(buffer, 0, n)}\"");

        // A pipe's write end travels over the pair; the receiver writes into it and the sender reads that back.
        int* pipe = stackalloc int[2];
        if (Libc.Pipe(pipe) != 0) { Console.WriteLine("pipe failed"); return; }
        byte* data = stackalloc byte[4];
        data[0] = (byte)'f'; data[1] = (byte)'d'; data[2] = (byte)'s'; data[3] = (byte)'!';
        Libc.IoVector vector = new() { Base = data, Length = 4 };
        byte* control = stackalloc byte[24];
        *(ulong*)control = 20; *(int*)(control + 8) = 1; *(int*)(control + 12) = 1;   // cmsg_len, SOL_SOCKET, SCM_RIGHTS
        *(int*)(control + 16) = pipe[1];
        Libc.MessageHeader message = new() { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = 24 };
        long sent = Libc.SendMsg((int)left.Handle, &message, 0);
        Libc.Close(pipe[1]);

        byte* into = stackalloc byte[16];
        byte* received = stackalloc byte[64];
        Libc.IoVector inVector = new() { Base = into, Length = 16 };
        Libc.MessageHeader inMessage = new() { Vectors = &inVector, VectorCount = 1, Control = received, ControlLength = 64 };
        long got = Libc.RecvMsg((int)right.Handle, &inMessage, 0x4000_0000);   // MSG_CMSG_CLOEXEC
        int level = *(int*)(received + 8), type = *(int*)(received + 12), fd = *(int*)(received + 16);
        Console.WriteLine($"rights: sent {sent}, received {got} \"{Encoding.ASCII.GetString(new ReadOnlySpan<byte>(into, (int)Math.Max(got, 0)))}\", controllen {inMessage.ControlLength}, cmsg len {*(ulong*)received} level {level} type {type}, flags 0x{inMessage.Flags:x}, close-on-exec {(Libc.Fcntl(fd, 1, 0) & 1) == 1}");
        byte* word = stackalloc byte[5];
        word[0] = (byte)'h'; word[1] = (byte)'e'; word[2] = (byte)'l'; word[3] = (byte)'l'; word[4] = (byte)'o';
        Libc.Write(fd, word, 5);
        Libc.Close(fd);
        byte* back = stackalloc byte[16];
        long read = Libc.Read(pipe[0], back, 16);
        long eof = Libc.Read(pipe[0], back + 8, 8);
        Console.WriteLine($"rights: the pipe carried \"{Encoding.ASCII.GetString(new ReadOnlySpan<byte>(back, (int)Math.Max(read, 0)))}\", then {eof}");
        Libc.Close(pipe[0]);

        // No room for the descriptor: MSG_CTRUNC, and the description is dropped.
        Libc.MessageHeader again = new() { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = 24 };
        int* spare = stackalloc int[2];
        Libc.Pipe(spare);
        *(int*)(control + 16) = spare[0];
        Libc.SendMsg((int)left.Handle, &again, 0);
        Libc.Close(spare[0]);
        Libc.MessageHeader noRoom = new() { Vectors = &inVector, VectorCount = 1, Control = received, ControlLength = 8 };
        got = Libc.RecvMsg((int)right.Handle, &noRoom, 0);
        Console.WriteLine($"rights without room: received {got}, controllen {noRoom.ControlLength}, flags 0x{noRoom.Flags:x}");
        long writeToOrphan = Libc.Write(spare[1], word, 1);
        Console.WriteLine($"rights without room: the read end is gone, write gives {(writeToOrphan < 0 ? "errno " + Marshal.GetLastPInvokeError() : writeToOrphan.ToString())}");
        Libc.Close(spare[1]);

        // A bad descriptor in SCM_RIGHTS: EBADF, nothing sent.
        *(int*)(control + 16) = 999;
        long bad = Libc.SendMsg((int)left.Handle, &again, 0);
        Console.WriteLine($"rights with a bad descriptor: {(bad < 0 ? "errno " + Marshal.GetLastPInvokeError() : bad.ToString())}, {right.Available} bytes queued");

        // MSG_NOSIGNAL: EPIPE without SIGPIPE once the other end closed.
        right.Close();
        long broken = Libc.Send((int)left.Handle, data, 4, 0x4000);
        Console.WriteLine($"socketpair after close: send gives {(broken < 0 ? "errno " + Marshal.GetLastPInvokeError() : broken.ToString())}, read gives {left.Receive(buffer)}");

        // SOCK_SEQPACKET: records keep their boundaries over a connection.
        if (Libc.SocketPair(1, 5, 0, pair) != 0) { Console.WriteLine($"seqpacket: errno {Marshal.GetLastPInvokeError()}"); return; }
        Libc.Send(pair[0], data, 4, 0);
        Libc.Send(pair[0], word, 5, 0);
        long first = Libc.Recv(pair[1], into, 16, 0), second = Libc.Recv(pair[1], into, 3, 0x20);
        Libc.Close(pair[0]);
        long end = Libc.Recv(pair[1], into, 16, 0);
        Console.WriteLine($"seqpacket: records of {first} and {second} bytes, then {end}");
        Libc.Close(pair[1]);
    }

    // Edge cases .NET does not reach: autobind, a full backlog, SO_PASSCRED's SCM_CREDENTIALS, FIONREAD, sendto on a stream.
    private static unsafe void Details()
    {
        int automatic = Libc.Socket(1, 1 | 0x800, 0);   // SOCK_STREAM | SOCK_NONBLOCK
        byte* name = stackalloc byte[128];
        *(ushort*)name = 1;
        int bound = Libc.Bind(automatic, name, 2);      // only the family: the kernel picks an abstract name
        int length = 128;
        Libc.GetSockName(automatic, name, &length);
        Console.WriteLine($"autobind: bind {bound}, name length {length}, abstract {name[2] == 0}");

        string path = Path.Combine(Directory, "full.sock");
        byte[] pathBytes = Encoding.ASCII.GetBytes(path);
        for (int i = 0; i < pathBytes.Length; i++) name[2 + i] = pathBytes[i];
        name[2 + pathBytes.Length] = 0;
        int addressLength = 2 + pathBytes.Length + 1;
        int listener = Libc.Socket(1, 1, 0);
        Libc.Bind(listener, name, addressLength);
        Libc.Listen(listener, 0);
        int first = Libc.Socket(1, 1 | 0x800, 0), second = Libc.Socket(1, 1 | 0x800, 0);
        int one = Libc.Connect(first, name, addressLength);
        int two = Libc.Connect(second, name, addressLength);
        int twoErrno = Marshal.GetLastPInvokeError();
        Console.WriteLine($"backlog 0: first connect {one}, second {two} (errno {twoErrno})");
        byte* data = stackalloc byte[8];
        data[0] = (byte)'!';
        long toAddress = Libc.SendTo(first, data, 1, 0, name, addressLength);
        Console.WriteLine($"sendto with an address on a connected stream: {toAddress} (errno {Marshal.GetLastPInvokeError()})");
        int accepted = Libc.Accept4(listener, null, null, 0);
        Libc.Send(first, data, 1, 0);
        Libc.Send(first, data, 1, 0);
        int readable = 0;
        Libc.Ioctl(accepted, 0x541B, &readable);          // FIONREAD
        Console.WriteLine($"accepted: FIONREAD {readable}");

        int passCredentials = 1;
        Libc.SetSockOpt(accepted, 1, 16, &passCredentials, 4);   // SO_PASSCRED
        byte* into = stackalloc byte[16];
        Libc.Recv(accepted, into, 16, 0);
        Libc.Send(first, data, 1, 0);
        byte* control = stackalloc byte[64];
        Libc.IoVector vector = new() { Base = into, Length = 16 };
        Libc.MessageHeader message = new() { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = 64 };
        long got = Libc.RecvMsg(accepted, &message, 0);
        int pid = *(int*)(control + 16), uid = *(int*)(control + 20), gid = *(int*)(control + 24);
        Console.WriteLine($"SCM_CREDENTIALS: received {got}, controllen {message.ControlLength}, cmsg len {*(ulong*)control} level {*(int*)(control + 8)} type {*(int*)(control + 12)}, pid {Ours(pid, Environment.ProcessId)}, uid {Ours(uid, (int)Libc.GetUid())}, gid {Ours(gid, (int)Libc.GetGid())}");
        foreach (int fd in new[] { automatic, listener, first, second, accepted }) Libc.Close(fd);
    }

    private static unsafe partial class Libc
    {
        [StructLayout(LayoutKind.Sequential)]
        public struct IoVector { public byte* Base; public nuint Length; }

        [StructLayout(LayoutKind.Sequential)]
        public struct MessageHeader
        {
            public byte* Name; public int NameLength; public IoVector* Vectors; public nuint VectorCount;
            public byte* Control; public nuint ControlLength; public int Flags;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct PollFd { public int Fd; public short Events; public short Revents; }

        [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)] public static partial int SocketPair(int domain, int type, int protocol, int* pair);
        [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)] public static partial nint SendMsg(int fd, MessageHeader* message, int flags);
        [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)] public static partial nint RecvMsg(int fd, MessageHeader* message, int flags);
        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)] public static partial nint Send(int fd, byte* data, nuint length, int flags);
        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)] public static partial nint Recv(int fd, byte* data, nuint length, int flags);
        [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)] public static partial nint RecvFrom(int fd, byte* data, nuint length, int flags, byte* from, int* fromLength);
        [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)] public static partial int GetSockName(int fd, byte* name, int* length);
        [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)] public static partial int GetPeerName(int fd, byte* name, int* length);
        [LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)] public static partial int Pipe(int* fds);
        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)] public static partial nint Read(int fd, byte* data, nuint length);
        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)] public static partial nint Write(int fd, byte* data, nuint length);
        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)] public static partial int Close(int fd);
        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)] public static partial int Fcntl(int fd, int command, int argument);
        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)] public static partial int Poll(PollFd* fds, nuint count, int timeout);
        [LibraryImport("libc", EntryPoint = "umask")] public static partial uint Umask(uint mask);
        [LibraryImport("libc", EntryPoint = "getuid")] public static partial uint GetUid();
        [LibraryImport("libc", EntryPoint = "getgid")] public static partial uint GetGid();
        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)] public static partial int Socket(int domain, int type, int protocol);
        [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)] public static partial int Bind(int fd, byte* name, int length);
        [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)] public static partial int Listen(int fd, int backlog);
        [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)] public static partial int Connect(int fd, byte* name, int length);
        [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)] public static partial int Accept4(int fd, byte* name, int* length, int flags);
        [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)] public static partial nint SendTo(int fd, byte* data, nuint length, int flags, byte* name, int nameLength);
        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)] public static partial int Ioctl(int fd, nuint request, int* value);
        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)] public static partial int SetSockOpt(int fd, int level, int name, int* value, int length);
    }
}
