using Kernel.Memory;

namespace Kernel.Net
{
    // A fixed-size byte ring: a TCP connection's receive buffer (bytes in order, not yet read by the app)
    // and send buffer (bytes written by the app, from the oldest unacknowledged one). The memory is a heap
    // block owned by the ring for the life of its connection object (connections are pooled); Resize swaps
    // it for a larger or smaller one, which is how a connection's windows grow when they are what limits it.
    internal sealed unsafe class ByteRing
    {
        private byte* _buffer;
        public int Capacity { get; private set; }
        private int _head;     // oldest byte
        private int _count;

        public ByteRing(int capacity)
        {
            Capacity = capacity;
            _buffer = (byte*)KernelMemory.AllocateZeroed((nuint)capacity);
        }

        public int Count => _count;

        /// <summary>Moves the contents to a block of <paramref name="capacity"/> bytes (at least Count); false (unchanged) without memory.</summary>
        public bool Resize(int capacity)
        {
            if (capacity < _count) return false;
            byte* block = (byte*)KernelMemory.AllocateZeroed((nuint)capacity);
            if (block == null) return false;
            Peek(0, block, _count);
            KernelMemory.FreeBlock(_buffer);
            _buffer = block;
            Capacity = capacity;
            _head = 0;
            return true;
        }
        public int Free => Capacity - _count;

        public void Clear()
        {
            _head = 0;
            _count = 0;
        }

        /// <summary>Appends up to <paramref name="length"/> bytes; how many fitted.</summary>
        public int Write(byte* source, int length)
        {
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
            _head = (_head + length) % Capacity;
            _count -= length;
            if (_count == 0) _head = 0;
        }
    }
}
