namespace Kernel.Net.Tcp
{
    // The TCP connection states of RFC 793 (3.2).
    internal enum TcpState
    {
        Closed,
        Listen,
        SynSent,
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        Closing,
        LastAck,
        TimeWait,
    }
}
