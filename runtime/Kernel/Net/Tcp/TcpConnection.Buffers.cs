namespace Kernel.Net.Tcp
{
    // The rings' memory: with window scaling a ring doubles, up to MaximumBufferSize, when it is what limits a transfer,
    // within TcpProtocol's growth budget for all rings; a fresh connection or TIME_WAIT shrinks the rings back and gives
    // empty rings' blocks back, so an idle connection holds no ring memory.
    internal sealed unsafe partial class TcpConnection
    {
        // The app emptied a ring that the peer had filled at least half-way: with window scaling a larger ring is a larger
        // window, which is what such a peer is waiting for. Growth is bounded per ring and by TcpProtocol's budget for all of them.
        private void GrowReceiveBuffer()
        {
            _receiveWindowFilled = false;
            if (_receiveShift == 0) return;
            int before = AdvertisableWindow();
            if (GrowRing(ReceiveBuffer) && AdvertisableWindow() > before
                && (State == TcpState.Established || State == TcpState.FinWait1 || State == TcpState.FinWait2))
                _ackPending = true;   // a window update goes out with the next output
        }

        private bool GrowRing(ByteRing ring)
        {
            int capacity = ring.Capacity;
            if (capacity >= MaximumBufferSize || !TcpProtocol.ReserveBufferGrowth(capacity)) return false;
            if (ring.Resize(capacity * 2)) return true;
            TcpProtocol.ReleaseBufferGrowth(capacity);
            return false;
        }

        /// <summary>Back to the initial ring sizes (the memory above them returns to TcpProtocol's budget) where the contents fit; empty rings give their blocks back.</summary>
        internal void ShrinkBuffers()
        {
            SendBuffer.ReleaseStorage();
            ReceiveBuffer.ReleaseStorage();
            ShrinkRing(SendBuffer);
            ShrinkRing(ReceiveBuffer);
        }

        private static void ShrinkRing(ByteRing ring)
        {
            int capacity = ring.Capacity;
            if (capacity > BufferSize && ring.Count <= BufferSize && ring.Resize(BufferSize)) TcpProtocol.ReleaseBufferGrowth(capacity - BufferSize);
        }
    }
}
