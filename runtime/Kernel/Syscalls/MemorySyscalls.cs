using Kernel.LinuxAbi;
using Kernel.Memory;

namespace Kernel.Syscalls
{
    // mmap and friends over UserAddressSpace: anonymous memory only (there is nothing to map a file
    // from that the app could not read()), committed lazily on first touch.
    internal static unsafe class MemorySyscalls
    {
        private const ulong MapShared = 0x01, MapPrivate = 0x02, MapFixed = 0x10, MapAnonymous = 0x20, MapFixedNoReplace = 0x100000;
        private const ulong MremapMayMove = 1, MremapFixed = 2;
        private const int ProtMask = 7;
        private const ulong MadviseDontNeed = 4, MadviseFree = 8;
        private const ulong MembarrierQuery = 0, MembarrierPrivateExpedited = 8, MembarrierRegisterPrivateExpedited = 16;

        // mmap(addr, length, prot, flags, fd, offset)
        public static long mmap(SyscallFrame call)
        {
            ulong flags = call.Arg3;
            if ((flags & MapAnonymous) == 0) return -Errno.ENODEV;
            if ((flags & (MapShared | MapPrivate)) == 0) return -Errno.EINVAL;
            if (((int)call.Arg2 & ~ProtMask) != 0) return -Errno.EINVAL;
            return UserAddressSpace.Map(call.Arg0, call.Arg1, (int)call.Arg2, (flags & MapFixed) != 0, (flags & MapFixedNoReplace) != 0);
        }

        public static long munmap(SyscallFrame call) => UserAddressSpace.Unmap(call.Arg0, call.Arg1);

        public static long mprotect(SyscallFrame call)
        {
            if (((int)call.Arg2 & ~ProtMask) != 0) return -Errno.EINVAL;
            return UserAddressSpace.Protect(call.Arg0, call.Arg1, (int)call.Arg2);
        }

        // madvise: only the advice that changes contents matters; the rest is a hint we may ignore.
        public static long madvise(SyscallFrame call)
            => UserAddressSpace.Advise(call.Arg0, call.Arg1, call.Arg2 == MadviseDontNeed || call.Arg2 == MadviseFree);

        // mremap(old, old_size, new_size, flags, new_address)
        public static long mremap(SyscallFrame call)
        {
            ulong flags = call.Arg3;
            if ((flags & ~(MremapMayMove | MremapFixed)) != 0) return -Errno.EINVAL;
            return UserAddressSpace.Remap(call.Arg0, call.Arg1, call.Arg2, (flags & MremapMayMove) != 0, (flags & MremapFixed) != 0, call.Arg4);
        }

        public static long brk(SyscallFrame call) => (long)UserAddressSpace.Brk(call.Arg0);

        // membarrier: the calling CPU is serialized by its entry into the kernel; PRIVATE_EXPEDITED must also
        // serialize every other CPU that may run the app's threads (all of them: one process), so each takes an
        // interrupt and acknowledges it before this returns (TlbShootdown.Synchronize). The .NET GC's
        // FlushProcessWriteBuffers relies on it. Registration needs nothing.
        public static long membarrier(SyscallFrame call)
        {
            if (call.Arg0 == MembarrierQuery) return (long)(MembarrierPrivateExpedited | MembarrierRegisterPrivateExpedited);
            if (call.Arg0 == MembarrierRegisterPrivateExpedited) return 0;
            if (call.Arg0 == MembarrierPrivateExpedited)
            {
                Arch.TlbShootdown.Synchronize();
                return 0;
            }
            return -Errno.EINVAL;
        }

        // get_mempolicy(mode, nodemask, maxnode, addr, flags): one NUMA node, default policy.
        public static long get_mempolicy(SyscallFrame call)
        {
            if (call.Arg0 != 0)
            {
                if (!UserAddressSpace.IsAccessible(call.Arg0, 4, true)) return -Errno.EFAULT;
                *(int*)call.Arg0 = 0;
            }
            if (call.Arg1 != 0 && call.Arg2 != 0)
            {
                if (!UserAddressSpace.IsAccessible(call.Arg1, 8, true)) return -Errno.EFAULT;
                *(ulong*)call.Arg1 = 1;
            }
            return 0;
        }
    }
}
