namespace Kernel.Files
{
    // The time stamped on files (st_atime/st_mtime/st_ctime). The kernel has no wall clock yet, so every
    // time is 0 (the epoch); the clock's owner replaces this one function.
    internal static class FileClock
    {
        public static long NowSeconds() => 0;
    }
}
