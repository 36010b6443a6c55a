using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files.Events
{
    // An epoll instance (epoll_create1): the interest list of (fd, open file description) pairs with their
    // event masks and user data. Waits scan the list and ask each description for its readiness, so
    // level-triggered entries report for as long as the condition holds. EPOLLET entries report only when
    // the description's EventCount moved since they last reported (plus once after ADD/MOD, if ready),
    // EPOLLONESHOT entries disarm after one report until EPOLL_CTL_MOD. Closing the last descriptor of a
    // watched description removes its entries (ForgetFile), as on Linux.
    internal sealed unsafe class EpollInstance : OpenFile
    {
        public const int ControlAdd = 1, ControlDelete = 2, ControlModify = 3;
        public const int EventSize = 12;   // struct epoll_event is packed on x86-64: u32 events; u64 data
        private const ulong NeverReported = 0xFFFF_FFFF_FFFF_FFFFUL;

        private sealed class Entry
        {
            public int Fd;
            public OpenFile File;
            public uint Events;
            public ulong Data;
            public ulong ReportedEventCount;
            public bool Disarmed;
            public Entry Next;
        }

        private static EpollInstance s_all;   // every live instance, for ForgetFile
        private static ulong s_nextInode = 1;

        private Entry _first;
        private int _count;
        private int _rotation;   // where the next scan starts, so a small maxevents cannot starve entries
        private EpollInstance _nextInstance;
        private readonly ulong _inode;

        public EpollInstance(int flags) : base(null, OpenFlags.ReadWrite)
        {
            _inode = s_nextInode++;
            _nextInstance = s_all;
            s_all = this;
        }

        public int Count => _count;

        public long Control(int operation, int fd, OpenFile file, uint events, ulong data)
        {
            if (file == this) return -Errno.EINVAL;
            if (!file.SupportsEpoll) return -Errno.EPERM;
            Entry entry = Find(fd, file);
            switch (operation)
            {
                case ControlAdd:
                    if (entry != null) return -Errno.EEXIST;
                    if (file is EpollInstance nested && nested.Watches(this)) return -Errno.ELOOP;
                    entry = new Entry { Fd = fd, File = file, Events = events, Data = data, ReportedEventCount = NeverReported, Next = _first };
                    _first = entry;
                    _count++;
                    file.EpollWatchers++;
                    WakeWaitersIfReady(entry);
                    return 0;
                case ControlModify:
                    if (entry == null) return -Errno.ENOENT;
                    if ((events & PollBits.EpollExclusive) != 0 || (entry.Events & PollBits.EpollExclusive) != 0) return -Errno.EINVAL;
                    entry.Events = events;
                    entry.Data = data;
                    entry.Disarmed = false;
                    entry.ReportedEventCount = NeverReported;
                    WakeWaitersIfReady(entry);
                    return 0;
                case ControlDelete:
                    if (entry == null) return -Errno.ENOENT;
                    Remove(entry);
                    return 0;
                default:
                    return -Errno.EINVAL;
            }
        }

        /// <summary>
        /// Fills up to <paramref name="maxEvents"/> packed epoll_events with what is ready now; the number
        /// written (0 = nothing ready: the caller decides whether to wait).
        /// </summary>
        public int Collect(byte* events, int maxEvents)
        {
            if (_count == 0 || maxEvents <= 0) return 0;
            int reported = 0;
            int start = _rotation % _count;
            Entry entry = _first;
            for (int i = 0; i < start; i++) entry = entry.Next;
            for (int visited = 0; visited < _count && reported < maxEvents; visited++)
            {
                uint ready = Readiness(entry);
                if (ready != 0)
                {
                    byte* slot = events + reported * EventSize;
                    *(uint*)slot = ready;
                    *(ulong*)(slot + 4) = entry.Data;
                    reported++;
                    entry.ReportedEventCount = entry.File.EventCount;
                    if ((entry.Events & PollBits.EpollOneShot) != 0) entry.Disarmed = true;
                }
                entry = entry.Next ?? _first;
            }
            _rotation = start + 1;
            return reported;
        }

        // An epoll file is readable when a wait would report something.
        public override uint Poll()
        {
            for (Entry e = _first; e != null; e = e.Next)
                if (Readiness(e) != 0) return PollBits.Readable;
            return 0;
        }

        public override bool SupportsEpoll => true;

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, 0x180, _inode);

        /// <summary>The last descriptor of <paramref name="file"/> is closing: drop it from every interest list.</summary>
        public static void ForgetFile(OpenFile file)
        {
            for (EpollInstance epoll = s_all; epoll != null && file.EpollWatchers > 0; epoll = epoll._nextInstance)
            {
                Entry e = epoll._first;
                while (e != null)
                {
                    Entry next = e.Next;
                    if (e.File == file) epoll.Remove(e);
                    e = next;
                }
            }
        }

        protected override void Close()
        {
            while (_first != null) Remove(_first);
            if (s_all == this) s_all = _nextInstance;
            else
                for (EpollInstance e = s_all; e != null; e = e._nextInstance)
                    if (e._nextInstance == this) { e._nextInstance = _nextInstance; break; }
        }

        private uint Readiness(Entry entry)
        {
            if (entry.Disarmed) return 0;
            uint ready = entry.File.Poll() & (entry.Events | PollBits.Error | PollBits.HangUp);
            if (ready == 0) return 0;
            if ((entry.Events & PollBits.EpollEdgeTriggered) != 0 && entry.ReportedEventCount == entry.File.EventCount) return 0;
            return ready;
        }

        // A file added (or re-armed) while already ready must wake a thread already waiting on this instance, as
        // Linux's ep_insert does: its readiness may have changed before the entry existed (a connect that completed,
        // data that arrived between a read's EAGAIN and the EPOLL_CTL_ADD), so no later event would wake it.
        private void WakeWaitersIfReady(Entry entry)
        {
            if (Readiness(entry) != 0) FileEvents.Changed(this);
        }

        private bool Watches(EpollInstance other)
        {
            for (Entry e = _first; e != null; e = e.Next)
            {
                if (e.File == other) return true;
                if (e.File is EpollInstance nested && nested != this && nested.Watches(other)) return true;
            }
            return false;
        }

        private Entry Find(int fd, OpenFile file)
        {
            for (Entry e = _first; e != null; e = e.Next)
                if (e.Fd == fd && e.File == file) return e;
            return null;
        }

        private void Remove(Entry entry)
        {
            if (_first == entry) _first = entry.Next;
            else
                for (Entry e = _first; e != null; e = e.Next)
                    if (e.Next == entry) { e.Next = entry.Next; break; }
            _count--;
            entry.File.EpollWatchers--;
            FileMemory.Release(entry);
        }
    }
}
