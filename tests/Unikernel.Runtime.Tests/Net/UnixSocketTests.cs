using System.Text;
using Kernel.Files;
using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Net.Sockets;
using Kernel.Platform;
using Unikernel.Runtime.Tests.Files;

namespace Unikernel.Runtime.Tests.Net;

// AF_UNIX sockets on the host build of the kernel (no scheduler: a call that would wait gets EAGAIN). The names
// live in the VFS test tree ("/tmp" is writable, "/" is not). What Linux does is checked by the differential
// test of samples/netecho (`netecho unix`); these pin the bookkeeping a run cannot see.
public sealed unsafe class UnixSocketTests : VfsTestBase
{
    private const int Stream = UnixSocketFile.Stream, Datagram = UnixSocketFile.Datagram, SeqPacket = UnixSocketFile.SequencedPacket;

    private static UnixAddress Address(string name)
    {
        byte[] raw = new byte[2 + name.Length];
        raw[0] = 1;   // AF_UNIX
        Encoding.ASCII.GetBytes(name).CopyTo(raw, 2);
        UnixAddress result;
        fixed (byte* p = raw) Assert.Equal(0, UnixAddress.Decode(p, raw.Length, out result, out _));
        return result;
    }

    private static long Send(UnixSocketFile socket, string text, OpenFile[]? rights = null)
    {
        UnixAddress none = UnixAddress.Unnamed;
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        fixed (byte* p = bytes) return socket.Send(p, bytes.Length, 0, false, ref none, ref rights);
    }

    private static long SendTo(UnixSocketFile socket, string text, UnixAddress target)
    {
        OpenFile[]? rights = null;
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        fixed (byte* p = bytes) return socket.Send(p, bytes.Length, 0, true, ref target, ref rights);
    }

    private static string Receive(UnixSocketFile socket, int size, ref UnixReceived received, int flags = 0)
    {
        byte[] buffer = new byte[size];
        long n;
        fixed (byte* p = buffer) n = socket.Receive(p, size, flags, ref received);
        return n < 0 ? $"errno {-n}" : Encoding.ASCII.GetString(buffer, 0, (int)Math.Min(n, size));
    }

    private static string Receive(UnixSocketFile socket, int size = 64, int flags = 0)
    {
        var received = new UnixReceived();
        string text = Receive(socket, size, ref received, flags);
        received.DropRights();
        return text;
    }

    private static UnixSocketFile Listening(string path, int backlog)
    {
        var listener = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        UnixAddress name = Address(path);
        Assert.Equal(0, listener.Bind(ref name));
        Assert.Equal(0, listener.Listen(backlog));
        return listener;
    }

    [Fact]
    public void AddressesDecodeWithLinuxLengths()
    {
        UnixAddress path = Address("/tmp/s\0garbage");
        Assert.True(path.IsPath);
        Assert.Equal(2 + 6 + 1, path.Length);   // the path ends at its NUL; Linux reports strlen + 1
        UnixAddress noNul = Address("/tmp/s");
        Assert.Equal(9, noNul.Length);
        UnixAddress hidden = Address("\0name");
        Assert.True(hidden.IsAbstract);
        Assert.Equal(7, hidden.Length);            // abstract: exactly what was passed
        Assert.True(Address("").IsUnnamed);
        byte[] wrong = [2, 0, (byte)'x'];
        fixed (byte* p = wrong) Assert.Equal(E(EINVAL), UnixAddress.Decode(p, 3, out _, out _));
        byte[] one = [1];
        fixed (byte* p = one) Assert.Equal(E(EINVAL), UnixAddress.Decode(p, 1, out _, out _));
    }

    [Fact]
    public void APairCarriesBytesBothWaysAndSeesEndOfFile()
    {
        UnixSocketFile.Pair(Stream, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        Assert.Equal(5, Send(a, "hello"));
        Assert.Equal(6, Send(a, " world"));
        Assert.Equal(11, b.BytesReadable());
        Assert.Equal("hello wo", Receive(b, 8));       // a stream reads across sends
        Assert.Equal("rld", Receive(b));
        Assert.Equal($"errno {EAGAIN}", Receive(b));
        Assert.Equal(PollBits.Writable | PollBits.WriteBand, a.Poll());
        Assert.Equal(0, a.Shutdown(UnixSocketFile.SendShutdown - 1));   // SHUT_WR
        Assert.Equal("", Receive(b));                  // end of file
        Assert.Equal(-EPIPE, Send(a, "x"));
        a.Release();
        Assert.Equal(PollBits.HangUp | PollBits.ReadHangUp | PollBits.Readable | PollBits.Writable | PollBits.WriteBand, b.Poll());
        Assert.Equal(-EPIPE, Send(b, "x"));
        b.Release();
    }

    [Fact]
    public void TheSendBufferLimitsWhatWaitsUnread()
    {
        UnixSocketFile.Pair(Stream, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        a.SendBufferSize = 4608;
        string big = new('x', 10000);
        Assert.Equal(4608, Send(a, big));
        Assert.Equal(E(EAGAIN), Send(a, "more"));
        Assert.Equal(0u, a.Poll() & PollBits.Out);
        ulong before = a.EventCount;
        Assert.Equal(4000, Receive(b, 4000).Length);
        Assert.True(a.EventCount > before);              // epoll's edge for the writer
        Assert.Equal(4000, Send(a, big));
        a.Release();
        b.Release();
    }

    [Fact]
    public void ClosingWithUnreadDataResetsThePeerOnce()
    {
        UnixSocketFile.Pair(Stream, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        Assert.Equal(4, Send(a, "lost"));
        b.Release();
        Assert.Equal(PollBits.Error, a.Poll() & PollBits.Error);
        Assert.Equal($"errno {Errno.ECONNRESET}", Receive(a));
        Assert.Equal("", Receive(a));
        a.Release();
    }

    [Fact]
    public void PathNamesLiveInTheFileSystem()
    {
        UnixSocketFile listener = Listening("/tmp/s", 0);
        Assert.Equal(0, Stat("/tmp/s", out LinuxStat st));
        Assert.Equal(FileTypeBits.Socket | 0x1ED, st.Mode);   // srwxr-xr-x under umask 022
        Assert.Equal(E(Errno.ENXIO), Open("/tmp/s", RdWr, out _));

        var other = new UnixSocketFile(Stream, 0, 1);
        UnixAddress same = Address("/tmp/s");
        Assert.Equal(E(Errno.EADDRINUSE), other.Bind(ref same));
        UnixAddress readOnly = Address("/s");
        Assert.Equal(E(EROFS), other.Bind(ref readOnly));
        UnixAddress missing = Address("/tmp/none");
        Assert.Equal(E(ENOENT), other.Connect(ref missing));
        Assert.Equal(0, MakeDirectory("/tmp/d"));
        UnixAddress notSocket = Address("/tmp/d");
        Assert.Equal(E(Errno.ECONNREFUSED), other.Connect(ref notSocket));

        // Backlog 0 still queues one connection (Linux: more than `backlog` waiting is full).
        var first = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        var second = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        Assert.Equal(0, first.Connect(ref same));
        Assert.Equal(E(EAGAIN), second.Connect(ref same));
        Assert.Equal(4, Send(first, "data"));            // writable before accept
        Assert.Equal(0, listener.Accept(0, out UnixSocketFile accepted));
        Assert.Equal("data", Receive(accepted));
        Assert.True(accepted.PeerAddress(out UnixAddress peer) && peer.IsUnnamed);
        Assert.True(first.PeerAddress(out UnixAddress server) && server.SameAs(ref same));
        Assert.Equal(E(EAGAIN), listener.Accept(0, out _));   // the listener is non-blocking

        // Closed: the name stays and refuses; unlink frees it.
        listener.Release();
        Assert.Equal(E(Errno.ECONNREFUSED), second.Connect(ref same));
        Assert.Equal(0, Unlink("/tmp/s"));
        Assert.Equal(0, other.Bind(ref same));
        foreach (var s in new[] { other, first, second, accepted }) s.Release();
    }

    [Fact]
    public void AnUnacceptedConnectionIsResetWhenTheListenerCloses()
    {
        UnixSocketFile listener = Listening("/tmp/l", 4);
        var client = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        UnixAddress name = Address("/tmp/l");
        Assert.Equal(0, client.Connect(ref name));
        Assert.Equal(PollBits.Readable, listener.Poll() & PollBits.Readable);
        listener.Release();
        Assert.Equal($"errno {Errno.ECONNRESET}", Receive(client));
        Assert.Equal("", Receive(client));
        client.Release();
    }

    [Fact]
    public void AbstractNamesDisappearWithTheirSocket()
    {
        UnixSocketFile listener = Listening("\0hidden", 1);
        Assert.Equal(E(ENOENT), Stat("hidden", out _));
        var client = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        UnixAddress name = Address("\0hidden");
        Assert.Equal(0, client.Connect(ref name));
        listener.Release();
        var late = new UnixSocketFile(Stream, OpenFlags.NonBlocking, 1);
        Assert.Equal(E(Errno.ECONNREFUSED), late.Connect(ref name));
        var again = new UnixSocketFile(Stream, 0, 1);
        Assert.Equal(0, again.Bind(ref name));
        UnixAddress unnamed = UnixAddress.Unnamed;
        var automatic = new UnixSocketFile(Datagram, 0, 1);
        Assert.Equal(0, automatic.Bind(ref unnamed));      // autobind: a NUL and five hex digits
        Assert.True(automatic.LocalAddress.IsAbstract);
        Assert.Equal(8, automatic.LocalAddress.Length);
        foreach (var s in new[] { client, late, again, automatic }) s.Release();
    }

    [Fact]
    public void DatagramsKeepBoundariesAndTheirSender()
    {
        var a = new UnixSocketFile(Datagram, OpenFlags.NonBlocking, 1);
        var b = new UnixSocketFile(Datagram, OpenFlags.NonBlocking, 1);
        UnixAddress aName = Address("/tmp/a"), bName = Address("/tmp/b");
        Assert.Equal(0, a.Bind(ref aName));
        Assert.Equal(0, b.Bind(ref bName));
        Assert.Equal(3, SendTo(a, "one", bName));
        Assert.Equal(34, SendTo(a, "a datagram longer than eight bytes", bName));
        Assert.Equal(3, b.BytesReadable());
        var received = new UnixReceived();
        Assert.Equal("one", Receive(b, 64, ref received));
        Assert.True(received.Source.SameAs(ref aName));
        received = new UnixReceived();
        Assert.Equal("a datagr", Receive(b, 8, ref received));
        Assert.True(received.Truncated);
        Assert.Equal($"errno {EAGAIN}", Receive(b));

        // The receiver's queue holds max_dgram_qlen + 1 datagrams from others.
        for (int i = 0; i <= UnixSocketFile.MaximumDatagramQueue; i++) Assert.Equal(1, SendTo(a, "x", bName));
        Assert.Equal(E(EAGAIN), SendTo(a, "x", bName));
        var stream = new UnixSocketFile(Stream, 0, 1);
        Assert.Equal(E(Errno.EPROTOTYPE), stream.Connect(ref bName));
        stream.Release();

        // Connected to a socket that closes: refused once, then not connected.
        var c = new UnixSocketFile(Datagram, OpenFlags.NonBlocking, 1);
        Assert.Equal(0, c.Connect(ref aName));
        a.Release();
        Assert.Equal(-Errno.ECONNREFUSED, Send(c, "x"));
        Assert.Equal(-Errno.ENOTCONN, Send(c, "x"));
        b.Release();
        c.Release();
    }

    [Fact]
    public void QueuedBytesAreFreedWhenReadOrWhenTheReceiverCloses()
    {
        long before = FileMemory.LiveBlocks;
        UnixSocketFile.Pair(Stream, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        Assert.Equal(3, Send(a, "one"));
        Assert.Equal(3, Send(a, "two"));
        Assert.Equal(before + 2, FileMemory.LiveBlocks);
        Assert.Equal("on", Receive(b, 2));
        Assert.Equal(before + 2, FileMemory.LiveBlocks);   // a partly read message stays
        Assert.Equal("etwo", Receive(b));
        Assert.Equal(before, FileMemory.LiveBlocks);
        Assert.Equal(5, Send(b, "three"));
        a.Release();                                       // the unread message goes with its receiver
        Assert.Equal(before, FileMemory.LiveBlocks);
        Assert.Equal(PollBits.Writable, b.Poll() & PollBits.Writable);   // and the sender has its buffer back
        b.Release();
    }

    [Fact]
    public void SeqpacketRecordsKeepTheirBoundaries()
    {
        UnixSocketFile.Pair(SeqPacket, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        Assert.Equal(4, Send(a, "abcd"));
        Assert.Equal(2, Send(a, "ef"));
        Assert.Equal("ab", Receive(b, 2));                 // the rest of the record is dropped
        Assert.Equal("ef", Receive(b));
        a.Release();
        Assert.Equal("", Receive(b));
        b.Release();
    }

    [Fact]
    public void PassedDescriptionsAreHeldUntilReceivedOrDropped()
    {
        UnixSocketFile.Pair(Stream, OpenFlags.NonBlocking, 1, out UnixSocketFile a, out UnixSocketFile b);
        Pipe.Create(0, out PipeEnd read, out PipeEnd write);
        write.Retain();                                    // the reference the message takes
        Assert.Equal(2, Send(a, "fd", [write]));
        Assert.Equal(2, write.References);
        Assert.Equal(4, Send(a, "more"));
        var received = new UnixReceived();
        Assert.Equal("fd", Receive(b, 64, ref received));  // a read stops after the message that carried descriptors
        Assert.NotNull(received.Rights);
        Assert.Same(write, received.Rights![0]);
        received.DropRights();
        Assert.Equal(1, write.References);

        // Unreceived: dropped with the socket that held them.
        write.Retain();
        Assert.Equal(1, Send(a, "x", [write]));
        b.Release();
        Assert.Equal(1, write.References);
        a.Release();
        read.Release();
        write.Release();
    }
}
