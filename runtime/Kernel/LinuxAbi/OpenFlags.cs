namespace Kernel.LinuxAbi
{
    // open(2) flags and the *at(2) conventions, as Linux x86-64 defines them (asm-generic/fcntl.h).
    internal static class OpenFlags
    {
        public const int ReadOnly = 0, WriteOnly = 1, ReadWrite = 2, AccessModeMask = 3;
        public const int Create = 0x40;          // O_CREAT
        public const int Exclusive = 0x80;       // O_EXCL
        public const int NoControllingTty = 0x100;
        public const int Truncate = 0x200;       // O_TRUNC
        public const int Append = 0x400;         // O_APPEND
        public const int NonBlocking = 0x800;    // O_NONBLOCK
        public const int DataSync = 0x1000;      // O_DSYNC
        public const int Async = 0x2000;         // O_ASYNC (FASYNC)
        public const int Direct = 0x4000;        // O_DIRECT
        public const int LargeFile = 0x8000;     // O_LARGEFILE (always on for 64-bit)
        public const int Directory = 0x10000;    // O_DIRECTORY
        public const int NoFollow = 0x20000;     // O_NOFOLLOW
        public const int NoAccessTime = 0x40000; // O_NOATIME
        public const int CloseOnExec = 0x80000;  // O_CLOEXEC
        public const int Sync = 0x101000;        // O_SYNC (includes O_DSYNC)
        public const int PathOnly = 0x200000;    // O_PATH
        public const int TemporaryFile = 0x410000; // O_TMPFILE (includes O_DIRECTORY)

        // The flags an open file description keeps after open (F_GETFL reports them); the others only
        // steer open itself.
        public const int KeptStatusFlags = AccessModeMask | Append | NonBlocking | DataSync | Async | Direct |
                                           LargeFile | NoAccessTime | Sync | PathOnly;
        // What F_SETFL may change.
        public const int SettableStatusFlags = Append | NonBlocking | Async | Direct | NoAccessTime;

        public const int AtCurrentDirectory = -100;   // AT_FDCWD
        public const int AtSymlinkNoFollow = 0x100;   // AT_SYMLINK_NOFOLLOW
        public const int AtRemoveDirectory = 0x200;   // AT_REMOVEDIR
        public const int AtEffectiveAccess = 0x200;   // AT_EACCESS (faccessat)
        public const int AtSymlinkFollow = 0x400;     // AT_SYMLINK_FOLLOW
        public const int AtNoAutomount = 0x800;       // AT_NO_AUTOMOUNT
        public const int AtEmptyPath = 0x1000;        // AT_EMPTY_PATH

        public static bool CanRead(int flags) => (flags & PathOnly) == 0 && ((flags & AccessModeMask) == ReadOnly || (flags & AccessModeMask) == ReadWrite);
        public static bool CanWrite(int flags) => (flags & PathOnly) == 0 && ((flags & AccessModeMask) == WriteOnly || (flags & AccessModeMask) == ReadWrite);
    }
}
