using Kernel.Memory;

namespace Kernel.Net.Tcp
{
    // A byte ring: a TCP connection's receive buffer (bytes in order, not yet read by the app) and send buffer
    // (bytes written by the app, from the oldest unacknowledged one). Capacity is what the ring may hold (what the
    // window promises); the memory behind it is a heap block taken on first use (EnsureStorage) and given back
    // once the ring has been empty for a while (ReleaseIfIdle) or its connection is done (ReleaseStorage), so an
    // idle connection costs its objects only and the connection table can be sized for many more connections
    // than RAM could give full rings to. All rings' blocks together stay within TcpProtocol's ring memory limit; above
    // half of it a ring that empties gives its block back at once.
    // Resize changes the capacity (moving the contents to a new block if there is one), which is how a
    // connection's windows grow when they are what limits it.
    internal sealed unsafe class ByteRing
    {
        private byte* _buffer;   // null: no storage now (Count is 0)
        public int Capacity { get; private set; }
        private int _head;     // oldest byte
        private int _count;
        private ulong _emptySince;

        public ByteRing(int capacity)
        {
            Capacity = capacity;
        }

        public int Count => _count;
        public int Free => Capacity - _count;
        /// <summary>Does the ring hold a heap block now (bytes counted in TcpProtocol.RingMemoryBytes)?</summary>
        public bool HasStorage => _buffer != null;

        /// <summary>Takes the ring's block if it has none; false when TcpProtocol's ring memory limit or the heap says no.</summary>
        public bool EnsureStorage()
        {
            if (_buffer != null) return true;
            if (!TcpProtocol.ReserveRingMemory(Capacity)) return false;
            _buffer = (byte*)KernelMemory.AllocateZeroed((nuint)Capacity);
            _emptySince = Time.Clock.MonotonicNanoseconds;
            if (_buffer != null) return true;
            TcpProtocol.ReleaseRingMemory(Capacity);
            return false;
        }

        /// <summary>Gives the block back if the ring is empty (nothing is lost: the capacity stays).</summary>
        public void ReleaseStorage()
        {
            if (_buffer == null || _count != 0) return;
            KernelMemory.FreeBlock(_buffer);
            TcpProtocol.ReleaseRingMemory(Capacity);
            _buffer = null;
            _head = 0;
        }

        /// <summary>Gives the block back when the ring has been empty since <paramref name="idle"/> ns before <paramref name="now"/>.</summary>
        public void ReleaseIfIdle(ulong now, ulong idle)
        {
            if (_buffer != null && _count == 0 && now - _emptySince >= idle) ReleaseStorage();
        }

        /// <summary>Changes the capacity to <paramref name="capacity"/> (at least Count), moving the contents; false (unchanged) without memory.</summary>
        public bool Resize(int capacity)
        {
            if (capacity < _count) return false;
            if (_buffer == null)
            {
                Capacity = capacity;
                return true;
            }
            if (!TcpProtocol.ReserveRingMemory(capacity)) return false;
            byte* block = (byte*)KernelMemory.AllocateZeroed((nuint)capacity);
            if (block == null)
            {
                TcpProtocol.ReleaseRingMemory(capacity);
                return false;
            }
            Peek(0, block, _count);
            KernelMemory.FreeBlock(_buffer);
            TcpProtocol.ReleaseRingMemory(Capacity);
            _buffer = block;
            Capacity = capacity;
            _head = 0;
            return true;
        }

        public void Clear()
        {
            _head = 0;
            _count = 0;
            _emptySince = Time.Clock.MonotonicNanoseconds;
        }

        /// <summary>Appends up to <paramref name="length"/> bytes; how many fitted (none without storage: EnsureStorage first).</summary>
        public int Write(byte* source, int length)
        {
            if (_buffer == null) return 0;
            int n = length < Free ? length : Free;
            int tail = (_head + _count) % Capacity;
            int first = Capacity - tail < n ? Capacity - tail : n;
            NetBytes.Copy(source, _buffer + tail, first);
            if (n > first) NetBytes.Copy(source + first, _buffer, n - first);
            _count += n;
            return n;
        }

        /// <summary>Copies <paramref name="length"/> bytes starting <paramref name="offset"/> bytes after the oldest, without consuming them.</summary>
        public void Peek(int offset, byte* destination, int length)
        {
            if (length <= 0) return;
            int start = (_head + offset) % Capacity;
            int first = Capacity - start < length ? Capacity - start : length;
            NetBytes.Copy(_buffer + start, destination, first);
            if (length > first) NetBytes.Copy(_buffer, destination + first, length - first);
        }

        /// <summary>Copies out and consumes up to <paramref name="length"/> bytes; how many.</summary>
        public int Read(byte* destination, int length)
        {
            int n = length < _count ? length : _count;
            Peek(0, destination, n);
            Discard(n);
            return n;
        }

        public void Discard(int length)
        {
            if (length > _count) length = _count;
            if (length <= 0) return;
            _head = (_head + length) % Capacity;
            _count -= length;
            if (_count == 0)
            {
                _head = 0;
                _emptySince = Time.Clock.MonotonicNanoseconds;
                if (TcpProtocol.RingMemoryUnderPressure) ReleaseStorage();   // others may be waiting for the block
            }
        }
    }
}
