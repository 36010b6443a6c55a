#nullable disable
using Kernel.Syscalls;

namespace Kernel.Files
{
    // An open directory. getdents64 walks it with the offset as position: 0 is ".", 1 is "..", then
    // entry k of the directory at 2 + k. lseek(fd, 0, SEEK_SET) rewinds.
    internal sealed unsafe class DirectoryHandle : OpenFile
    {
        private readonly DirectoryNode _directory;

        public DirectoryHandle(DirectoryNode directory, int flags) : base(directory, flags) { _directory = directory; }

        public override long Read(byte* buffer, long count) => -Errno.EISDIR;
        public override long ReadAt(long offset, byte* buffer, long count) => -Errno.EISDIR;

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
            VfsNode child = Offset >= 2 ? _directory.ChildAt(Offset - 2) : null;
            while (Offset < 2 || child != null)
            {
                int size;
                if (Offset < 2)
                {
                    VfsNode target = Offset == 0 || _directory.Parent == null ? _directory : _directory.Parent;
                    size = DirectoryEntryWriter.Write(buffer + written, count - written, target.Inode, Offset + 1,
                                                      FileTypeBits.DirentDirectory, dots, (int)Offset + 1);
                }
                else
                {
                    fixed (byte* name = child.Name)
                        size = DirectoryEntryWriter.Write(buffer + written, count - written, child.Inode, Offset + 1,
                                                          FileTypeBits.DirentType(child.Mode), name, child.Name.Length);
                }
                if (size == 0) break;
                written += size;
                Offset++;
                child = Offset == 2 ? _directory.FirstChild : Offset > 2 ? child.NextSibling : null;
            }
            if (written == 0 && (Offset < 2 || child != null)) return -Errno.EINVAL;   // too small for one entry
            return written;
        }
    }
}
