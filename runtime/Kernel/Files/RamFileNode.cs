using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // A regular file whose content lives in kernel memory (tmpfs). The content is one block that grows
    // by doubling; bytes between the block's end and the file's length (after ftruncate extended it)
    // read as zeros without taking memory. Growth is charged to the file system's capacity (ENOSPC).
    internal sealed unsafe class RamFileNode : VfsNode
    {
        /// <summary>The largest length a RAM file may have (EFBIG beyond).</summary>
        public const long MaxLength = 1L << 32;
        private const long MinimumCapacity = 64;

        private byte* _data;
        private long _capacity;
        private long _length;

        public RamFileNode(SuperBlock fileSystem, uint permissions)
            : base(fileSystem, FileTypeBits.Regular | (permissions & FileTypeBits.PermissionMask)) { }

        public override long Size => _length;
        public override long AllocatedBytes => _capacity;
        public override bool IsWritableContent => true;

        public override long Open(int flags, out OpenFile file)
        {
            file = new RamFileHandle(this, flags);
            return 0;
        }

        public long Read(long offset, byte* destination, long count)
        {
            if (offset < 0) return -Errno.EINVAL;
            if (offset >= _length || count <= 0) return 0;
            long n = count < _length - offset ? count : _length - offset;
            long stored = _capacity - offset;
            if (stored < 0) stored = 0;
            if (stored > n) stored = n;
            if (stored > 0) System.Buffer.MemoryCopy(_data + offset, destination, n, stored);
            for (long i = stored; i < n; i++) destination[i] = 0;
            AccessTime = FileClock.Now();
            return n;
        }

        public long Write(long offset, byte* source, long count)
        {
            if (offset < 0) return -Errno.EINVAL;
            if (count <= 0) return 0;
            if (offset >= MaxLength) return -Errno.EFBIG;
            if (count > MaxLength - offset) count = MaxLength - offset;
            long end = offset + count;
            long grown = EnsureCapacity(end);
            if (grown < 0) return grown;
            System.Buffer.MemoryCopy(source, _data + offset, _capacity - offset, count);
            if (end > _length) _length = end;
            Touch();
            Inotify.Modified(this);
            return count;
        }

        public long Truncate(long length)
        {
            if (length < 0) return -Errno.EINVAL;
            if (length > MaxLength) return -Errno.EFBIG;
            if (length == 0)
            {
                ReleaseData();
            }
            else if (length < _length)
            {
                // Zero the cut-off part, so a later extension reads zeros there.
                long stop = _length < _capacity ? _length : _capacity;
                for (long i = length; i < stop; i++) _data[i] = 0;
            }
            _length = length;
            Touch();
            Inotify.Modified(this);
            return 0;
        }

        protected override void FreeContent() => ReleaseData();

        private void ReleaseData()
        {
            if (_data == null) return;
            FileMemory.Free(_data);
            FileSystem?.Uncharge((ulong)_capacity);
            _data = null;
            _capacity = 0;
        }

        // Makes [0, end) writable memory; 0 or -ENOSPC/-ENOMEM.
        private long EnsureCapacity(long end)
        {
            if (end <= _capacity) return 0;
            long wanted = _capacity * 2;
            if (wanted < MinimumCapacity) wanted = MinimumCapacity;
            if (wanted < end) wanted = end;
            if (wanted > MaxLength) wanted = MaxLength;
            byte* grown = TryAllocate(wanted);
            if (grown == null && wanted > end) { wanted = end; grown = TryAllocate(end); }
            if (grown == null)
            {
                bool full = FileSystem != null && FileSystem.CapacityBytes != 0 &&
                            FileSystem.UsedBytes + (ulong)(end - _capacity) > FileSystem.CapacityBytes;
                return full ? -Errno.ENOSPC : -Errno.ENOMEM;
            }
            if (_data != null)
            {
                System.Buffer.MemoryCopy(_data, grown, wanted, _capacity);
                FileMemory.Free(_data);
            }
            _data = grown;
            _capacity = wanted;
            return 0;
        }

        // A zeroed block of `capacity` bytes, charged (beyond the current capacity) to the file system.
        private byte* TryAllocate(long capacity)
        {
            ulong extra = (ulong)(capacity - _capacity);
            if (FileSystem != null && !FileSystem.Charge(extra)) return null;
            byte* block = FileMemory.Allocate((ulong)capacity);
            if (block == null) FileSystem?.Uncharge(extra);
            return block;
        }
    }
}
