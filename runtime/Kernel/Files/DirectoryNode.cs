using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // A directory: its entries in the order they were linked (a linked list). Each entry gets the next
    // getdents position when it is linked (0 and 1 are "." and ".."), so a listing continues at the right
    // place however many entries were removed in between -- "list a batch, delete it, list the next" must
    // see every entry.
    internal sealed unsafe class DirectoryNode : VfsNode
    {
        // tmpfs reports a directory's size as 20 bytes per entry, "." and ".." included.
        private const long BytesPerEntry = 20;

        public VfsNode FirstChild;
        private VfsNode _lastChild;
        private long _nextPosition = FirstChildPosition;
        public const long FirstChildPosition = 2;
        public int ChildCount;
        private int _subdirectoryCount;
        /// <summary>For /proc's directories whose entries follow kernel state; null for ordinary ones.</summary>
        public DirectorySynchronizer Synchronizer;
        /// <summary>Links the entries of a directory filled on first use (DirectoryFiller); null once filled.</summary>
        public DirectoryFiller Filler;

        public DirectoryNode(SuperBlock fileSystem, uint permissions)
            : base(fileSystem, FileTypeBits.Directory | (permissions & FileTypeBits.PermissionMask)) { }

        public bool IsEmpty { get { Fill(); return ChildCount == 0; } }
        public override long Size { get { Fill(); return (ChildCount + 2) * BytesPerEntry; } }
        public override ulong LinkCount { get { Fill(); return Linked ? (ulong)(2 + _subdirectoryCount) : 0UL; } }

        // Everything that reads or changes the entries comes through here first, so a directory filled on first use
        // looks the same as one filled at once.
        private void Fill()
        {
            DirectoryFiller filler = Filler;
            if (filler == null) return;
            Filler = null;
            filler.Fill(this);
        }
        public override bool IsWritableContent => false;

        public override long Open(int flags, out OpenFile file)
        {
            Fill();
            if (Synchronizer != null) Synchronizer.Synchronize(this);
            file = new DirectoryHandle(this, flags);
            return 0;
        }

        /// <summary>The entry attached last (the end of getdents order), or null.</summary>
        public VfsNode LastChild { get { Fill(); return _lastChild; } }

        public VfsNode Find(byte* name, int length)
        {
            Fill();
            if (Synchronizer != null) Synchronizer.Synchronize(this);
            for (VfsNode child = FirstChild; child != null; child = child.NextSibling)
                if (child.NameEquals(name, length)) return child;
            return null;
        }

        /// <summary>The first entry at getdents position <paramref name="position"/> or later, or null.</summary>
        public VfsNode FirstAtOrAfter(long position)
        {
            Fill();
            VfsNode child = FirstChild;
            while (child != null && child.DirectoryPosition < position) child = child.NextSibling;
            return child;
        }

        /// <summary>Links <paramref name="child"/> here under <paramref name="name"/> (which the child then owns).</summary>
        public void Attach(VfsNode child, byte[] name)
        {
            Fill();
            if (child.Name != null && child.Name != name) FileMemory.Release(child.Name);
            child.Name = name;
            child.Parent = this;
            child.Linked = true;
            child.NextSibling = null;
            child.DirectoryPosition = _nextPosition++;
            if (_lastChild == null) FirstChild = child;
            else _lastChild.NextSibling = child;
            _lastChild = child;
            ChildCount++;
            if (child.IsDirectory) _subdirectoryCount++;
            Touch();
        }

        /// <summary>Unlinks <paramref name="child"/> without freeing it (the caller does FreeIfUnused or relinks it).</summary>
        public void Detach(VfsNode child)
        {
            VfsNode previous = null;
            for (VfsNode n = FirstChild; n != null; previous = n, n = n.NextSibling)
            {
                if (n != child) continue;
                if (previous == null) FirstChild = n.NextSibling;
                else previous.NextSibling = n.NextSibling;
                if (_lastChild == n) _lastChild = previous;
                ChildCount--;
                if (child.IsDirectory) _subdirectoryCount--;
                break;
            }
            child.NextSibling = null;
            child.Parent = null;
            child.Linked = false;
            Touch();
        }

        /// <summary>Would creating an entry here be allowed? 0 or -errno.</summary>
        public long CheckCanCreate()
        {
            if (!Linked) return -Errno.ENOENT;   // removed while someone still has it open or as cwd
            if (FileSystem == null || !FileSystem.Writable) return -Errno.EROFS;
            if (FileSystem.NodeCount >= FileSystem.NodeLimit) return -Errno.ENOSPC;
            return 0;
        }
    }
}
