using Kernel.LinuxAbi;

namespace Kernel.Net.Tcp
{
    // A TCP client for the kernel's own use while nothing else runs -- at boot before the app starts, at power-off --
    // so it drives the network stack itself, polling with interrupts off as the boot's DHCP wait does. Every call ends
    // by a deadline (Time.Clock.MonotonicNanoseconds); failures are values (a short reason), never a wait without end.
    internal static unsafe class PolledTcpClient
    {
        /// <summary>An established connection to <paramref name="address"/>:<paramref name="port"/>, or null and why not.</summary>
        public static TcpConnection Connect(IpAddress address, ushort port, ulong deadline, out string problem)
        {
            problem = null;
            long error;
            TcpConnection c = TcpProtocol.Connect(default, 0, address, port, out error);
            if (c == null)
            {
                problem = error == -Errno.ENOBUFS ? "no memory for a connection" : "no local port free";
                return null;
            }
            while (c.State == TcpState.SynSent && Time.Clock.MonotonicNanoseconds < deadline) Step();
            if (c.State == TcpState.Established || c.State == TcpState.CloseWait) return c;
            if (c.State == TcpState.SynSent) problem = "no answer";
            else problem = c.Error == -Errno.ECONNREFUSED ? "connection refused" : "connection reset";
            if (c.State != TcpState.Closed) c.Abort(0);
            c.Close();
            return null;
        }

        /// <summary>Sends all <paramref name="length"/> bytes (queued and on their way); false when the connection failed or the deadline passed.</summary>
        public static bool SendAll(TcpConnection c, byte* data, int length, ulong deadline)
        {
            int sent = 0;
            while (sent < length)
            {
                long n = c.Send(data + sent, length - sent);
                if (n > 0) { sent += (int)n; continue; }
                if (n != -Errno.EAGAIN || Time.Clock.MonotonicNanoseconds >= deadline) return false;
                Step();
            }
            NetworkStack.Flush();
            return true;
        }

        /// <summary>Bytes read into <paramref name="buffer"/> (at least 1), 0 at the end of the peer's stream, -1 on an error or at the deadline.</summary>
        public static int Receive(TcpConnection c, byte* buffer, int capacity, ulong deadline)
        {
            while (true)
            {
                long n = c.Receive(buffer, capacity);
                if (n >= 0) return (int)n;
                if (n != -Errno.EAGAIN || Time.Clock.MonotonicNanoseconds >= deadline) return -1;
                Step();
            }
        }

        /// <summary>Lets go of the connection: an orderly close, which the stack's later polls complete.</summary>
        public static void Close(TcpConnection c)
        {
            c.Close();
            NetworkStack.Poll();
        }

        private static void Step()
        {
            NetworkStack.Poll();
            Arch.Cpu.Pause();
        }
    }
}
