using Kernel.LinuxAbi;
using Kernel.Platform;
using Kernel.Threads;

namespace Kernel.Files.Events
{
    // inotify_init1's file: its watches and the queue of events, read as struct inotify_event records
    // (wd, mask, cookie, len, then the name NUL-padded to a multiple of 16 bytes, as Linux pads it). A read
    // returns whole events only (EINVAL when the first does not fit), blocks while the queue is empty, and
    // poll/epoll see it readable when it is not. As on Linux, an event identical to the last one queued is
    // not queued again (repeated writes make one IN_MODIFY until it is read), and past MaximumEvents one
    // IN_Q_OVERFLOW stands for everything lost.
    internal sealed unsafe class InotifyInstance : OpenFile
    {
        public const int MaximumEvents = 16384;   // Linux's default max_queued_events
        private const int EventHeader = 16;
        private static ulong s_nextInode = 1;

        private sealed class QueuedEvent
        {
            public byte[] Bytes;
            public QueuedEvent Next;
        }

        private QueuedEvent _head, _tail;
        private int _count;
        private long _bytes;
        private InotifyWatch _watches;
        private int _nextDescriptor = 1;
        private readonly ulong _inode;
        private readonly WaitQueue _wait = new WaitQueue();

        public InotifyInstance(int flags) : base(null, OpenFlags.ReadOnly | (flags & OpenFlags.NonBlocking))
        {
            _inode = s_nextInode++;
        }

        /// <summary>inotify_add_watch: the watch's descriptor (an existing one for a node already watched).</summary>
        public long AddWatch(VfsNode node, uint mask)
        {
            for (InotifyWatch w = _watches; w != null; w = w.NextInInstance)
            {
                if (w.Node != node) continue;
                if ((mask & Inotify.MaskCreate) != 0) return -Errno.EEXIST;
                w.Mask = (mask & Inotify.MaskAdd) != 0 ? w.Mask | mask : mask;
                return w.Descriptor;
            }
            var watch = new InotifyWatch { Owner = this, Descriptor = _nextDescriptor++, Node = node, Mask = mask };
            node.Retain();
            watch.NextInInstance = _watches;
            _watches = watch;
            Inotify.Register(watch);
            return watch.Descriptor;
        }

        /// <summary>inotify_rm_watch: 0, or -EINVAL for a descriptor this instance does not have.</summary>
        public long RemoveWatch(int descriptor)
        {
            for (InotifyWatch w = _watches; w != null; w = w.NextInInstance)
                if (w.Descriptor == descriptor)
                {
                    RemoveWatch(w, true);
                    return 0;
                }
            return -Errno.EINVAL;
        }

        /// <summary>Ends a watch (queueing IN_IGNORED when <paramref name="announce"/>) and lets its node go.</summary>
        public void RemoveWatch(InotifyWatch watch, bool announce)
        {
            if (_watches == watch) _watches = watch.NextInInstance;
            else
                for (InotifyWatch w = _watches; w != null; w = w.NextInInstance)
                    if (w.NextInInstance == watch) { w.NextInInstance = watch.NextInInstance; break; }
            Inotify.Unregister(watch);
            if (announce) Queue(watch.Descriptor, Inotify.Ignored, 0, null, 0);
            VfsNode node = watch.Node;
            watch.Node = null;
            FileMemory.Release(watch);
            node.Release();
        }

        public void Queue(int descriptor, uint mask, uint cookie, byte* name, int nameLength)
        {
            int padded = nameLength > 0 ? (nameLength + 1 + EventHeader - 1) / EventHeader * EventHeader : 0;
            if (_count >= MaximumEvents)
            {
                if (_tail != null && ReadMask(_tail.Bytes) == Inotify.QueueOverflow) return;
                descriptor = -1;
                mask = Inotify.QueueOverflow;
                cookie = 0;
                padded = 0;
                nameLength = 0;
            }
            var bytes = new byte[EventHeader + padded];
            fixed (byte* e = bytes)
            {
                *(int*)e = descriptor;
                *(uint*)(e + 4) = mask;
                *(uint*)(e + 8) = cookie;
                *(uint*)(e + 12) = (uint)padded;
                for (int i = 0; i < nameLength; i++) e[EventHeader + i] = name[i];
            }
            if (_tail != null && SameBytes(_tail.Bytes, bytes))
            {
                FileMemory.Release(bytes);
                return;
            }
            var queued = new QueuedEvent { Bytes = bytes };
            if (_tail == null) _head = queued; else _tail.Next = queued;
            _tail = queued;
            _count++;
            _bytes += bytes.Length;
            _wait.WakeAll();
            FileEvents.Changed(this);
        }

        public override long Read(byte* buffer, long count)
        {
            if (_head == null)
            {
                if (IsNonBlocking) return -Errno.EAGAIN;
                return Blocking.WaitThenRestart(_wait);
            }
            if (_head.Bytes.Length > count) return -Errno.EINVAL;
            long written = 0;
            while (_head != null && written + _head.Bytes.Length <= count)
            {
                QueuedEvent e = _head;
                fixed (byte* source = e.Bytes) System.Buffer.MemoryCopy(source, buffer + written, e.Bytes.Length, e.Bytes.Length);
                written += e.Bytes.Length;
                _head = e.Next;
                if (_head == null) _tail = null;
                _count--;
                _bytes -= e.Bytes.Length;
                FileMemory.Release(e.Bytes);
                FileMemory.Release(e);
            }
            FileEvents.Changed(this);
            return written;
        }

        public override long BytesReadable() => _bytes;

        public override uint Poll() => _head != null ? PollBits.Readable : 0;

        public override bool SupportsEpoll => true;

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, 0x180, _inode);   // anon inode, rw-------

        protected override void Close()
        {
            while (_watches != null) RemoveWatch(_watches, false);
            while (_head != null)
            {
                QueuedEvent e = _head;
                _head = e.Next;
                FileMemory.Release(e.Bytes);
                FileMemory.Release(e);
            }
            _tail = null;
            FileMemory.Release(_wait);
        }

        private static uint ReadMask(byte[] bytes)
        {
            fixed (byte* e = bytes) return *(uint*)(e + 4);
        }

        private static bool SameBytes(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }
    }
}
