using Kernel.Platform;

namespace Kernel.Files
{
    // An open /dev/null (reads end at once, writes vanish), /dev/zero (reads zeros) or /dev/[u]random.
    internal sealed unsafe class DeviceHandle : OpenFile
    {
        private readonly int _kind;

        public DeviceHandle(DeviceNode device, int flags) : base(device, flags) { _kind = device.Kind; }

        public override long Read(byte* buffer, long count)
        {
            if (count <= 0 || _kind == DeviceNode.Null) return 0;
            if (_kind == DeviceNode.Zero)
            {
                for (long i = 0; i < count; i++) buffer[i] = 0;
                return count;
            }
            // Linux hands out at most 32 MiB minus one page per read of the random devices.
            if (count > 0x7FFF_FFFF) count = 0x7FFF_FFFF;
            RandomSource.Fill(buffer, (int)count);
            return count;
        }

        public override long Write(byte* buffer, long count) => count < 0 ? 0 : count;
        public override long ReadAt(long offset, byte* buffer, long count) => Read(buffer, count);
        public override long WriteAt(long offset, byte* buffer, long count) => Write(buffer, count);

        // Seeking a character device "succeeds" and leaves the position at 0, as Linux's null and zero do.
        public override long Seek(long offset, int whence)
        {
            Offset = 0;
            return 0;
        }

        public override bool SupportsEpoll => true;
        public override bool IsSeekable => true;
        // Linux's /dev/null has no splice_read: sendfile from it is EINVAL; writing to it is fine.
        public override bool CanSpliceRead => _kind != DeviceNode.Null;
        public override bool CanSpliceWrite => true;
    }
}
