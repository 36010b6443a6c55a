using Kernel.Platform;

namespace Kernel.Files
{
    // An open generated file: the bytes its generator wrote at open time, owned by the description.
    internal sealed unsafe class SnapshotHandle : OpenFile
    {
        private byte* _data;
        private readonly long _length;

        public SnapshotHandle(VfsNode node, int flags, byte* data, long length) : base(node, flags)
        {
            _data = data;
            _length = length;
        }

        public override long Read(byte* buffer, long count)
        {
            long n = ReadAt(Offset, buffer, count);
            if (n > 0) Offset += n;
            return n;
        }

        public override long ReadAt(long offset, byte* buffer, long count)
        {
            if (offset < 0) return -LinuxAbi.Errno.EINVAL;
            if (offset >= _length || count <= 0) return 0;
            long n = count < _length - offset ? count : _length - offset;
            System.Buffer.MemoryCopy(_data + offset, buffer, n, n);
            return n;
        }

        public override long Seek(long offset, int whence) => SeekWithin(offset, whence, _length);
        public override bool IsSeekable => true;
        public override bool CanSpliceRead => true;

        public override long BytesReadable() => Offset < _length ? _length - Offset : 0;

        protected override void Close()
        {
            FileMemory.Free(_data);
            _data = null;
        }
    }
}
