using Kernel.LinuxAbi;
using Kernel.Platform;
using Kernel.Threads;

namespace Kernel.Files.Events
{
    // A pipe: a 64 KiB ring buffer between a read end and a write end (two PipeEnd descriptions). The
    // buffer is allocated on the first write. Writes of up to PipeAtomicSize bytes are never split; a
    // larger write takes what fits and returns the short count. Blocking: a reader of an empty pipe
    // (with a writer left) parks on ReadersWait, a writer of a full pipe on WritersWait; each side wakes
    // the other's queue. A write with no reader left fails with EPIPE (SIGPIPE comes with signals).
    internal sealed unsafe class Pipe
    {
        public const int Capacity = 65536;       // F_GETPIPE_SZ
        public const int PipeAtomicSize = 4096;  // PIPE_BUF

        private static ulong s_nextInode = 1;

        private byte* _buffer;
        private int _head;      // next byte to read
        private int _count;     // bytes in the buffer
        public int Readers, Writers;
        public PipeEnd ReadEnd, WriteEnd;
        public readonly WaitQueue ReadersWait = new WaitQueue();
        public readonly WaitQueue WritersWait = new WaitQueue();
        public readonly ulong Inode;

        private Pipe() { Inode = s_nextInode++; }

        public int Count => _count;
        public int Space => Capacity - _count;

        /// <summary>A new pipe: its read end and write end (one reference each, owned by the caller).</summary>
        public static void Create(int flags, out PipeEnd readEnd, out PipeEnd writeEnd)
        {
            var pipe = new Pipe();
            int status = flags & (OpenFlags.NonBlocking | OpenFlags.Direct);
            readEnd = new PipeEnd(pipe, true, OpenFlags.ReadOnly | status);
            writeEnd = new PipeEnd(pipe, false, OpenFlags.WriteOnly | status);
            pipe.ReadEnd = readEnd;
            pipe.WriteEnd = writeEnd;
            pipe.Readers = 1;
            pipe.Writers = 1;
        }

        public long Read(byte* destination, long count, bool nonBlocking)
        {
            if (count <= 0) return 0;
            if (_count == 0)
            {
                if (Writers == 0) return 0;
                if (nonBlocking) return -Errno.EAGAIN;
                return Blocking.WaitThenRestart(ReadersWait);
            }
            int n = count < _count ? (int)count : _count;
            int first = Capacity - _head < n ? Capacity - _head : n;
            System.Buffer.MemoryCopy(_buffer + _head, destination, n, first);
            if (n > first) System.Buffer.MemoryCopy(_buffer, destination + first, n - first, n - first);
            _head = (_head + n) % Capacity;
            _count -= n;
            if (_count == 0) _head = 0;
            WritersWait.WakeAll();
            FileEvents.Changed(WriteEnd);
            return n;
        }

        public long Write(byte* source, long count, bool nonBlocking)
        {
            if (count <= 0) return 0;
            if (Readers == 0) return -Errno.EPIPE;   // + SIGPIPE, once signals exist
            int space = Space;
            if (space == 0 || (count <= PipeAtomicSize && space < count))
            {
                if (nonBlocking) return -Errno.EAGAIN;
                return Blocking.WaitThenRestart(WritersWait);
            }
            if (_buffer == null)
            {
                _buffer = FileMemory.Allocate(Capacity);
                if (_buffer == null) return -Errno.ENOMEM;
            }
            int n = count < space ? (int)count : space;
            int tail = (_head + _count) % Capacity;
            int first = Capacity - tail < n ? Capacity - tail : n;
            System.Buffer.MemoryCopy(source, _buffer + tail, first, first);
            if (n > first) System.Buffer.MemoryCopy(source + first, _buffer, n - first, n - first);
            _count += n;
            ReadersWait.WakeAll();
            FileEvents.Changed(ReadEnd);
            return n;
        }

        /// <summary>
        /// What sendfile asks before it reads anything for the pipe: the bytes a write can take now without
        /// waiting (> 0); else -EPIPE (no reader left), -EAGAIN (full and non-blocking) or the result of
        /// parking until a reader makes room (the call then restarts).
        /// </summary>
        public long WaitForSpace(bool nonBlocking)
        {
            if (Readers == 0) return -Errno.EPIPE;
            if (Space > 0) return Space;
            if (nonBlocking) return -Errno.EAGAIN;
            return Blocking.WaitThenRestart(WritersWait);
        }

        /// <summary>One end's last descriptor is gone; frees the pipe when both are.</summary>
        public void CloseEnd(bool reader)
        {
            if (reader) { Readers--; ReadEnd = null; }
            else { Writers--; WriteEnd = null; }
            // The other side sees EOF (POLLHUP) or EPIPE (POLLERR) now.
            ReadersWait.WakeAll();
            WritersWait.WakeAll();
            FileEvents.Changed(reader ? (OpenFile)WriteEnd : ReadEnd);
            if (Readers > 0 || Writers > 0) return;
            FileMemory.Free(_buffer);
            _buffer = null;
            FileMemory.Release(ReadersWait);
            FileMemory.Release(WritersWait);
            FileMemory.Release(this);
        }
    }
}
