using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // An open directory. getdents64 walks it with the offset as position: 0 is ".", 1 is "..", then the
    // entries by their DirectoryPosition; each record's d_off is the position after it. lseek(fd, 0,
    // SEEK_SET) rewinds, lseek to a d_off continues there.
    internal sealed unsafe class DirectoryHandle : OpenFile
    {
        private readonly DirectoryNode _directory;

        public DirectoryHandle(DirectoryNode directory, int flags) : base(directory, flags) { _directory = directory; }

        public override long Read(byte* buffer, long count) => -Errno.EISDIR;
        public override long ReadAt(long offset, byte* buffer, long count) => -Errno.EISDIR;
        public override bool IsSeekable => true;

        public override long Seek(long offset, int whence)
        {
            if (whence == SeekSet && offset >= 0) { Offset = offset; return offset; }
            if (whence == SeekCurrent && Offset + offset >= 0) { Offset += offset; return Offset; }
            return -Errno.EINVAL;
        }

        public override long ReadDirectory(byte* buffer, long count)
        {
            if (!_directory.Linked) return 0;   // removed: nothing left to list
            byte* dots = stackalloc byte[2];
            dots[0] = (byte)'.';
            dots[1] = (byte)'.';
            long written = 0;
            const long first = DirectoryNode.FirstChildPosition;
            VfsNode child = _directory.FirstAtOrAfter(Offset);
            while (Offset < first || child != null)
            {
                int size;
                long next;
                if (Offset < first)
                {
                    VfsNode target = Offset == 0 || _directory.Parent == null ? _directory : _directory.Parent;
                    next = Offset + 1;
                    size = DirectoryEntryWriter.Write(buffer + written, count - written, target.Inode, next,
                                                      FileTypeBits.DirentDirectory, dots, (int)Offset + 1);
                }
                else
                {
                    next = child.DirectoryPosition + 1;
                    fixed (byte* name = child.Name)
                        size = DirectoryEntryWriter.Write(buffer + written, count - written, child.Inode, next,
                                                          FileTypeBits.DirentType(child.Mode), name, child.Name.Length);
                }
                if (size == 0) break;
                written += size;
                if (Offset >= first) child = child.NextSibling;
                Offset = next;
            }
            if (written == 0 && (Offset < first || child != null)) return -Errno.EINVAL;   // too small for one entry
            return written;
        }
    }
}
