using Kernel.LinuxAbi;
using Kernel.Net;

namespace Kernel.Syscalls
{
    // struct msghdr of sendmsg/recvmsg as x86-64 Linux lays it out (56 bytes: msg_name, msg_namelen, msg_iov,
    // msg_iovlen, msg_control, msg_controllen, msg_flags) and its iovec array (16 bytes each: base, length),
    // used in place in the app's memory once checked. Both calls decode it here, so they agree on the
    // layout and on which error comes first.
    internal unsafe struct MessageHeader
    {
        private const int Size = 56, MaximumVectors = 1024;   // UIO_MAXIOV
        private const int NameLengthOffset = 8, VectorsOffset = 16, CountOffset = 24, ControlOffset = 32, ControlLengthOffset = 40, FlagsOffset = 48;
        private const int VectorSize = 16;

        private ulong _address;
        private ulong _vectors;

        public ulong Name;
        public uint NameLength;
        public ulong Count;
        public ulong Control, ControlLength;   // ancillary data (Unix sockets' SCM_RIGHTS / SCM_CREDENTIALS)

        /// <summary>The header at `address`, readable (and writable, for a receive, which writes some fields
        /// back). 0, or -EFAULT, or -EMSGSIZE for more iovecs than one call takes.</summary>
        public static long Read(ulong address, bool writable, out MessageHeader header)
        {
            header = default;
            bool ok = writable ? UserMemory.IsWritableUserRange(address, Size) : UserMemory.IsUserRange(address, Size);
            if (!ok) return -Errno.EFAULT;
            header._address = address;
            header.Name = *(ulong*)address;
            header.NameLength = *(uint*)(address + NameLengthOffset);
            header._vectors = *(ulong*)(address + VectorsOffset);
            header.Count = *(ulong*)(address + CountOffset);
            header.Control = *(ulong*)(address + ControlOffset);
            header.ControlLength = *(ulong*)(address + ControlLengthOffset);
            return header.Count > MaximumVectors ? -Errno.EMSGSIZE : 0;
        }

        /// <summary>Checks the iovec array: readable, each buffer readable (or writable, for a receive), the
        /// total at most what one call may move. The total, or -errno.</summary>
        public long CheckVectors(bool writable)
        {
            if (Count > 0 && !UserMemory.IsUserRange(_vectors, Count * VectorSize)) return -Errno.EFAULT;
            long total = 0;
            for (ulong i = 0; i < Count; i++)
            {
                ulong buffer = *(ulong*)(_vectors + i * VectorSize), length = *(ulong*)(_vectors + i * VectorSize + 8);
                if ((long)length < 0 || total + (long)length > 0x7FFF_F000) return -Errno.EINVAL;
                bool ok = writable ? UserMemory.IsWritableUserRange(buffer, length) : UserMemory.IsUserRange(buffer, length);
                if (!ok) return -Errno.EFAULT;
                total += (long)length;
            }
            return total;
        }

        // iovec i, once CheckVectors accepted the array (so a length fits an int).
        public byte* Buffer(ulong i) => (byte*)*(ulong*)(_vectors + i * VectorSize);
        public int Length(ulong i) => (int)*(ulong*)(_vectors + i * VectorSize + 8);

        /// <summary>Copies the iovecs in order into `datagram`; the bytes copied.</summary>
        public int Gather(byte* datagram)
        {
            int offset = 0;
            for (ulong i = 0; i < Count; i++)
            {
                NetBytes.Copy(Buffer(i), datagram + offset, Length(i));
                offset += Length(i);
            }
            return offset;
        }

        /// <summary>Spreads `length` bytes of `datagram` over the iovecs in order.</summary>
        public void Scatter(byte* datagram, long length)
        {
            int offset = 0;
            for (ulong i = 0; i < Count && offset < length; i++)
            {
                int n = (int)length - offset < Length(i) ? (int)length - offset : Length(i);
                NetBytes.Copy(datagram + offset, Buffer(i), n);
                offset += n;
            }
        }

        // msg_namelen, where a receive writes the source's length (SocketAddress.Write) or 0 for none.
        public ulong NameLengthAddress => _address + NameLengthOffset;
        public void ClearNameLength() => *(uint*)(_address + NameLengthOffset) = 0;

        /// <summary>What a receive reports besides the data: the ancillary data's length (msg_controllen, 0 for none) and `flags` (MSG_TRUNC, MSG_CTRUNC).</summary>
        public void SetReceiveFlags(int flags, ulong controlLength = 0)
        {
            *(ulong*)(_address + ControlLengthOffset) = controlLength;
            *(int*)(_address + FlagsOffset) = flags;
        }
    }
}
