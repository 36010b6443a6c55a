namespace Kernel.Files.Image
{
    // An open file of the image's file system: reads at the description's offset, seeks; never writes (the mount is
    // read-only, so opening for writing fails with EROFS before a handle exists).
    internal sealed unsafe class ImageFileHandle : OpenFile
    {
        private readonly ImageFileNode _file;

        public ImageFileHandle(ImageFileNode file, int flags) : base(file, flags) { _file = file; }

        public override long Read(byte* buffer, long count)
        {
            long n = _file.Read(Offset, buffer, count);
            if (n > 0) Offset += n;
            return n;
        }

        public override long ReadAt(long offset, byte* buffer, long count) => _file.Read(offset, buffer, count);
        public override long Seek(long offset, int whence) => SeekWithin(offset, whence, _file.Size);
        public override bool IsSeekable => true;
        public override bool CanSpliceRead => true;

        public override long BytesReadable()
        {
            long left = _file.Size - Offset;
            return left < 0 ? 0 : left;
        }
    }
}
