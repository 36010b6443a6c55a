using Kernel.Console;
using Kernel.Net.Tcp;

namespace Kernel.Logs
{
    // The TCP connection to a collector, kept by the shipper itself (no socket file: the app never sees it). Reconnects
    // with exponential backoff (RetryFirst doubling to RetryLast) while the collector is unreachable, and says so on the
    // console once per outage, and once when it is back -- kernel lines, so they are shipped too, in their place.
    internal sealed unsafe class CollectorConnection
    {
        public const ulong RetryFirst = 100_000_000, RetryLast = 5_000_000_000;

        private readonly string _label;
        private LogTarget _target;
        private TcpConnection _tcp;
        private ulong _retryAt, _backoff = RetryFirst;
        private bool _down;

        public CollectorConnection(string label, LogTarget target) { _label = label; _target = target; }

        public TcpConnection Tcp => _tcp;

        /// <summary>An established connection, or null while connecting or waiting for the next attempt.</summary>
        public TcpConnection Ready(ulong now)
        {
            if (_tcp == null)
            {
                if (now < _retryAt) return null;
                _tcp = TcpProtocol.Connect(default, 0, _target.Address, _target.Port, out long error);
                if (_tcp == null) { Retry(now, error); return null; }
            }
            if (_tcp.State == TcpState.SynSent || _tcp.State == TcpState.SynReceived) return null;
            if (_tcp.State != TcpState.Established && _tcp.State != TcpState.CloseWait)
            {
                Fail(now, _tcp.Error);
                return null;
            }
            if (_down)
            {
                _down = false;
                KernelConsole.Prefix();
                KernelConsole.Write("log: ");
                KernelConsole.Write(_label);
                KernelConsole.WriteLine(": connected again, sending what waited");
            }
            _backoff = RetryFirst;
            return _tcp;
        }

        /// <summary>The connection failed (or the collector hung up): drop it, try again after the backoff.</summary>
        public void Fail(ulong now, long error)
        {
            Close();
            Retry(now, error);
        }

        /// <summary>An orderly end after a completed exchange (HTTP: one request per connection).</summary>
        public void Close()
        {
            if (_tcp == null) return;
            _tcp.Close();
            _tcp = null;
        }

        private void Retry(ulong now, long error)
        {
            _retryAt = now + _backoff;
            _backoff = _backoff * 2 > RetryLast ? RetryLast : _backoff * 2;
            if (_down) return;
            _down = true;
            KernelConsole.Prefix();
            KernelConsole.Write("log: ");
            KernelConsole.Write(_label);
            KernelConsole.Write(": collector unreachable (");
            KernelConsole.Write(error != 0 ? LinuxAbi.Errno.Name(-error) : "closed");
            KernelConsole.WriteLine("), lines wait in the buffer");
        }
    }
}
