namespace Kernel.Files
{
    // The time stamped on files (st_atime/st_mtime/st_ctime): the wall clock (Time/Clock). A separate
    // name so the host tests of the VFS can put a fixed time in its place.
    internal static class FileClock
    {
        public static long NowSeconds() => (long)(Time.Clock.RealtimeNanoseconds / 1_000_000_000UL);
    }
}
