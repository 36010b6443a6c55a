namespace Kernel.Syscalls
{
    // Linux error numbers; system calls return them negated.
    internal static class Errno
    {
        public const long EBADF = 9;
        public const long EFAULT = 14;
        public const long EINVAL = 22;
        public const long ENOSYS = 38;
    }
}
