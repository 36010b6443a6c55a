using Kernel.Entropy;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // getrandom(2). The kernel's source is ready from boot (Entropy/Random), so the call never blocks and
    // GRND_NONBLOCK / GRND_RANDOM / GRND_INSECURE change nothing but are checked as Linux checks them.
    internal static unsafe class RandomSyscalls
    {
        public const ulong GrndNonblock = 0x1, GrndRandom = 0x2, GrndInsecure = 0x4;
        // One call returns at most this much (the limit getrandom(2) documents for the urandom source, 32 MiB
        // - 1): the kernel fills it with interrupts off, and callers loop on short reads anyway.
        private const ulong MaximumCount = 33_554_431;

        // getrandom(void* buf, size_t buflen, unsigned int flags)
        public static long getrandom(SyscallFrame call)
        {
            ulong flags = call.Arg2 & 0xFFFF_FFFF;
            if ((flags & ~(GrndNonblock | GrndRandom | GrndInsecure)) != 0) return -Errno.EINVAL;
            if ((flags & (GrndRandom | GrndInsecure)) == (GrndRandom | GrndInsecure)) return -Errno.EINVAL;
            ulong count = call.Arg1 > MaximumCount ? MaximumCount : call.Arg1;
            if (count == 0) return 0;
            if (!UserMemory.IsWritableUserRange(call.Arg0, count)) return -Errno.EFAULT;
            Random.Fill((byte*)call.Arg0, (int)count);
            return (long)count;
        }
    }
}
