using Kernel.LinuxAbi;

namespace Kernel.Files.Image
{
    // A regular file of the image's read-only file system (uk_files): its bytes stay where the VMM loaded them, in
    // the image's pages, and reads copy from there (no copy into kernel memory at boot or open). A packed file's bytes
    // are at _packedOffset in the packed stream, whose blocks PackedBlocks expands on first read.
    internal sealed unsafe class ImageFileNode : VfsNode
    {
        private readonly byte* _data;
        private readonly ulong _packedOffset;
        private readonly long _length;

        public ImageFileNode(SuperBlock fileSystem, uint mode, byte* data, long length)
            : base(fileSystem, FileTypeBits.Regular | (mode & FileTypeBits.PermissionMask))
        {
            _data = data;
            _length = length;
        }

        public ImageFileNode(SuperBlock fileSystem, uint mode, ulong packedOffset, long length)
            : base(fileSystem, FileTypeBits.Regular | (mode & FileTypeBits.PermissionMask))
        {
            _packedOffset = packedOffset;
            _length = length;
        }

        public override long Size => _length;
        public override long AllocatedBytes => _length;
        public override bool IsWritableContent => false;

        public override long Open(int flags, out OpenFile file)
        {
            file = new ImageFileHandle(this, flags);
            return 0;
        }

        public long Read(long offset, byte* destination, long count)
        {
            if (offset < 0) return -Errno.EINVAL;
            if (offset >= _length || count <= 0) return 0;
            long n = count < _length - offset ? count : _length - offset;
            if (_data == null) return PackedBlocks.Read(_packedOffset + (ulong)offset, destination, n);
            System.Buffer.MemoryCopy(_data + offset, destination, n, n);
            return n;
        }
    }
}
