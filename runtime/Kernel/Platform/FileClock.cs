using Kernel.Files;

namespace Kernel.Platform
{
    // The time stamped on files (st_atime/st_mtime/st_ctime): the wall clock (Time/Clock), to the
    // nanosecond. A separate name so the host tests of the VFS can put a fixed time in its place.
    internal static class FileClock
    {
        public static FileTime Now()
        {
            ulong nanoseconds = Time.Clock.RealtimeNanoseconds;
            return new FileTime((long)(nanoseconds / 1_000_000_000UL), (long)(nanoseconds % 1_000_000_000UL));
        }
    }
}
