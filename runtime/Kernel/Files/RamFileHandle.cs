using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // An open RAM file: reads and writes at the description's offset (at the end with O_APPEND).
    internal sealed unsafe class RamFileHandle : OpenFile
    {
        private readonly RamFileNode _file;

        public RamFileHandle(RamFileNode file, int flags) : base(file, flags) { _file = file; }

        public override long Read(byte* buffer, long count)
        {
            long n = _file.Read(Offset, buffer, count);
            if (n > 0) Offset += n;
            return n;
        }

        public override long Write(byte* buffer, long count)
        {
            if ((Flags & OpenFlags.Append) != 0) Offset = _file.Size;
            long n = _file.Write(Offset, buffer, count);
            if (n > 0) Offset += n;
            return n;
        }

        public override long ReadAt(long offset, byte* buffer, long count) => _file.Read(offset, buffer, count);

        // Like Linux, pwrite on an O_APPEND file appends.
        public override long WriteAt(long offset, byte* buffer, long count) =>
            _file.Write((Flags & OpenFlags.Append) != 0 ? _file.Size : offset, buffer, count);

        public override long Seek(long offset, int whence) => SeekWithin(offset, whence, _file.Size);
        public override bool IsSeekable => true;
        public override bool CanSpliceRead => true;
        public override bool CanSpliceWrite => true;

        public override long Truncate(long length) => _file.Truncate(length);

        public override long BytesReadable()
        {
            long left = _file.Size - Offset;
            return left < 0 ? 0 : left;
        }
    }
}
