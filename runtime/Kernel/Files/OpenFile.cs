using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;
using Kernel.Threads;

namespace Kernel.Files
{
    // An open file description: what open, pipe, eventfd2 and epoll_create1 make and file descriptors
    // point at (dup shares one). It holds the offset and the status flags, and is reference counted by
    // the descriptors that point at it; the last Release closes it and frees it.
    //
    // Read/Write are called only when the access mode allows them (the system call layer checks), with
    // kernel-usable pointers (user buffers are checked before). They return bytes or -errno; a call that
    // would block returns Blocking.WaitThenRestart(queue) unless the description is O_NONBLOCK.
    internal abstract unsafe class OpenFile
    {
        public int Flags;              // access mode and status flags, as F_GETFL reports them
        public long Offset;
        public int References;
        public readonly VfsNode Node;  // null for pipes, eventfds and epoll instances
        public ulong EventCount;       // bumped by FileEvents.Changed: epoll's edge detection
        public int EpollWatchers;      // epoll interest entries that refer to this description

        protected OpenFile(VfsNode node, int flags)
        {
            Node = node;
            Flags = flags & OpenFlags.KeptStatusFlags;
            References = 1;
            if (node != null) node.Retain();
        }

        public bool CanRead => OpenFlags.CanRead(Flags);
        public bool CanWrite => OpenFlags.CanWrite(Flags);
        public bool IsPathOnly => (Flags & OpenFlags.PathOnly) != 0;
        public bool IsNonBlocking => (Flags & OpenFlags.NonBlocking) != 0;

        public virtual long Read(byte* buffer, long count) => -Errno.EINVAL;
        public virtual long Write(byte* buffer, long count) => -Errno.EINVAL;
        public virtual long ReadAt(long offset, byte* buffer, long count) => -Errno.ESPIPE;
        public virtual long WriteAt(long offset, byte* buffer, long count) => -Errno.ESPIPE;
        public virtual long Seek(long offset, int whence) => -Errno.ESPIPE;
        public virtual long Truncate(long length) => -Errno.EINVAL;
        public virtual long ReadDirectory(byte* buffer, long count) => -Errno.ENOTDIR;
        /// <summary>
        /// Device-specific ioctl (the terminal's); <paramref name="argument"/> is the app's, unchecked.
        /// The generic requests (FIONBIO, FIOCLEX, FIONREAD, ...) are handled by the system call layer.
        /// </summary>
        public virtual long Ioctl(uint request, ulong argument) => -Errno.ENOTTY;

        /// <summary>FIONREAD: bytes a read would return now, or -ENOTTY where it means nothing.</summary>
        public virtual long BytesReadable() => -Errno.ENOTTY;

        /// <summary>Current readiness (PollBits); regular files and directories are always ready.</summary>
        public virtual uint Poll() => PollBits.Readable | PollBits.Writable;

        /// <summary>May epoll watch it? Linux refuses regular files and directories (EPERM).</summary>
        public virtual bool SupportsEpoll => false;

        /// <summary>
        /// Does it have a position pread/pwrite and sendfile's offset may name (Linux's FMODE_PREAD)?
        /// Pipes, terminals and anonymous files do not (ESPIPE).
        /// </summary>
        public virtual bool IsSeekable => false;

        /// <summary>May sendfile read from it (Linux: the file has splice_read)? Not pipes, directories, eventfds, epoll or /dev/null.</summary>
        public virtual bool CanSpliceRead => false;

        /// <summary>May sendfile write to it (splice_write)? Not eventfds or epoll.</summary>
        public virtual bool CanSpliceWrite => false;

        public virtual void Stat(LinuxStat* st)
        {
            if (Node != null) Node.Stat(st);
            else LinuxStat.Anonymous(st, 0x180, 0);
        }

        /// <summary>Called once, when the last descriptor is gone; frees what the description owns.</summary>
        protected virtual void Close() { }

        public void Retain() => References++;

        public void Release()
        {
            if (--References > 0) return;
            if (EpollWatchers > 0) EpollInstance.ForgetFile(this);
            Close();
            if (Node != null) Node.Release();
            FileMemory.Release(this);
        }

        // Shared lseek arithmetic for files with a length: SEEK_SET/CUR/END, SEEK_DATA/SEEK_HOLE.
        protected long SeekWithin(long offset, int whence, long length)
        {
            long target;
            switch (whence)
            {
                case SeekSet: target = offset; break;
                case SeekCurrent: target = Offset + offset; break;
                case SeekEnd: target = length + offset; break;
                case SeekData:
                    if (offset < 0 || offset >= length) return -Errno.ENXIO;
                    target = offset; break;
                case SeekHole:
                    if (offset < 0 || offset >= length) return -Errno.ENXIO;
                    target = length; break;
                default: return -Errno.EINVAL;
            }
            if (target < 0) return -Errno.EINVAL;
            Offset = target;
            return target;
        }

        public const int SeekSet = 0, SeekCurrent = 1, SeekEnd = 2, SeekData = 3, SeekHole = 4;
    }
}
