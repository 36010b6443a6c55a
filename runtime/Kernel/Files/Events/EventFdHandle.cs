using Kernel.LinuxAbi;
using Kernel.Platform;
using Kernel.Threads;

namespace Kernel.Files.Events
{
    // eventfd2: a 64-bit counter. write adds (blocking while it would pass 2^64-2), read returns the
    // counter and zeroes it -- or, with EFD_SEMAPHORE, returns 1 and decrements -- blocking while it is 0.
    internal sealed unsafe class EventFdHandle : OpenFile
    {
        public const int SemaphoreFlag = 1;           // EFD_SEMAPHORE
        public const ulong MaxValue = 0xFFFF_FFFF_FFFF_FFFEUL;
        private static ulong s_nextInode = 1;

        private ulong _counter;
        private readonly bool _semaphore;
        private readonly ulong _inode;
        private readonly WaitQueue _wait = new WaitQueue();

        public EventFdHandle(ulong initial, bool semaphore, int flags)
            : base(null, OpenFlags.ReadWrite | (flags & OpenFlags.NonBlocking))
        {
            _counter = initial;
            _semaphore = semaphore;
            _inode = s_nextInode++;
        }

        public ulong Counter => _counter;

        public override long Read(byte* buffer, long count)
        {
            if (count < 8) return -Errno.EINVAL;
            if (_counter == 0)
            {
                if (IsNonBlocking) return -Errno.EAGAIN;
                return Blocking.WaitThenRestart(_wait);
            }
            ulong value = _semaphore ? 1 : _counter;
            _counter -= value;
            *(ulong*)buffer = value;
            _wait.WakeAll();
            FileEvents.Changed(this);
            return 8;
        }

        public override long Write(byte* buffer, long count)
        {
            if (count < 8) return -Errno.EINVAL;
            ulong value = *(ulong*)buffer;
            if (value == 0xFFFF_FFFF_FFFF_FFFFUL) return -Errno.EINVAL;
            if (value > MaxValue - _counter)
            {
                if (IsNonBlocking) return -Errno.EAGAIN;
                return Blocking.WaitThenRestart(_wait);
            }
            _counter += value;
            _wait.WakeAll();
            FileEvents.Changed(this);
            return 8;
        }

        public override uint Poll() =>
            (_counter > 0 ? PollBits.Readable : 0) | (_counter < MaxValue ? PollBits.Writable : 0);

        public override bool SupportsEpoll => true;

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, 0x180, _inode);   // anon inode, rw-------

        protected override void Close() => FileMemory.Release(_wait);
    }
}
