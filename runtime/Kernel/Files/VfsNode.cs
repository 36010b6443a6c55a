using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // A file system object: directory, RAM file, generated file, symlink or device. Linked into its
    // parent directory under one name (no hard links), and kept alive while it is linked or open:
    // unlinking an open file leaves it readable through its descriptors until the last one closes,
    // then its memory goes back (explicit ownership, docs/architecture.md "Files").
    internal abstract unsafe class VfsNode
    {
        private static ulong s_nextInode = 1;

        public byte[] Name;
        public DirectoryNode Parent;        // null once unlinked (and for the root)
        public VfsNode NextSibling;
        public long DirectoryPosition;      // getdents position in its directory (stable while others come and go)
        public readonly SuperBlock FileSystem;
        public readonly ulong Inode;
        public uint Mode;                   // file type | permission bits
        public bool Linked;                 // in a directory (the root counts as linked)
        public int OpenReferences;          // open file descriptions, the working directory
        public FileTime AccessTime, ModifiedTime, ChangedTime;   // see FileClock

        protected VfsNode(SuperBlock fileSystem, uint mode)
        {
            FileSystem = fileSystem;
            Mode = mode;
            Inode = s_nextInode++;
            FileTime now = FileClock.Now();
            AccessTime = ModifiedTime = ChangedTime = now;
            if (fileSystem != null) fileSystem.NodeCount++;
        }

        public uint Type => Mode & FileTypeBits.TypeMask;
        public bool IsDirectory => Type == FileTypeBits.Directory;
        public bool IsSymlink => Type == FileTypeBits.Symlink;

        /// <summary>st_size.</summary>
        public virtual long Size => 0;
        /// <summary>Bytes of memory behind the content (st_blocks * 512).</summary>
        public virtual long AllocatedBytes => 0;
        /// <summary>st_rdev of device files.</summary>
        public virtual ulong DeviceNumber => 0;
        /// <summary>st_nlink.</summary>
        public virtual ulong LinkCount => Linked ? 1UL : 0UL;

        /// <summary>
        /// Can the content be opened for writing at all? The app runs as root, so permission bits do not
        /// restrict it; generated files and directories cannot be written. Read-only mounts are the
        /// caller's check (EROFS).
        /// </summary>
        public virtual bool IsWritableContent => false;

        /// <summary>
        /// A new open file description for this node (one reference, owned by the caller), or -errno.
        /// <paramref name="flags"/> are open's flags; access rights have been checked.
        /// </summary>
        public abstract long Open(int flags, out OpenFile file);

        public void Retain() => OpenReferences++;

        public void Release()
        {
            OpenReferences--;
            FreeIfUnused();
        }

        /// <summary>Frees the node once it is neither linked nor open.</summary>
        public void FreeIfUnused()
        {
            if (Linked || OpenReferences > 0) return;
            FreeContent();
            if (FileSystem != null && FileSystem.NodeCount > 0) FileSystem.NodeCount--;
            if (Name != null) FileMemory.Release(Name);
            Name = null;
            FileMemory.Release(this);
        }

        /// <summary>Gives back what the node owns besides itself and its name.</summary>
        protected virtual void FreeContent() { }

        /// <summary>The content changed: mtime and ctime become now.</summary>
        public void Touch() { ModifiedTime = ChangedTime = FileClock.Now(); }

        public bool NameEquals(byte* name, int length)
        {
            byte[] own = Name;
            if (own == null || own.Length != length) return false;
            for (int i = 0; i < length; i++) if (own[i] != name[i]) return false;
            return true;
        }

        /// <summary>Is this node <paramref name="other"/> or one of its ancestors?</summary>
        public bool IsAncestorOf(VfsNode other)
        {
            for (VfsNode n = other; n != null; n = n.Parent)
                if (n == this) return true;
            return false;
        }

        protected static long NotPermitted() => -Errno.EACCES;

        /// <summary>The stat of this node. Everything belongs to root (uid 0, gid 0).</summary>
        public void Stat(LinuxStat* st)
        {
            *st = default;
            st->Device = FileSystem != null ? FileSystem.Device : 0;
            st->Inode = Inode;
            st->LinkCount = LinkCount;
            st->Mode = Mode;
            st->SpecialDevice = DeviceNumber;
            st->FileSize = Size;
            st->PreferredBlockSize = LinuxStat.BlockSize;
            st->Blocks = (AllocatedBytes + 511) / 512;
            st->AccessSeconds = AccessTime.Seconds;
            st->AccessNanoseconds = AccessTime.Nanoseconds;
            st->ModifySeconds = ModifiedTime.Seconds;
            st->ModifyNanoseconds = ModifiedTime.Nanoseconds;
            st->ChangeSeconds = ChangedTime.Seconds;
            st->ChangeNanoseconds = ChangedTime.Nanoseconds;
        }
    }
}
