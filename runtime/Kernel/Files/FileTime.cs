namespace Kernel.Files
{
    // A file time stamp (st_atim/st_mtim/st_ctim): seconds since the epoch (negative before 1970, as
    // utimensat allows) and nanoseconds within the second, 0..999,999,999. tmpfs keeps nanoseconds, so
    // a time set through utimensat reads back exactly.
    internal struct FileTime
    {
        public long Seconds;
        public long Nanoseconds;

        public FileTime(long seconds, long nanoseconds)
        {
            Seconds = seconds;
            Nanoseconds = nanoseconds;
        }
    }
}
