#pragma warning disable CS0649 // fields the app reads, some always zero here

namespace Kernel.LinuxAbi
{
    // struct stat as the Linux x86-64 kernel writes it for stat/fstat/lstat/newfstatat: 144 bytes.
    internal unsafe struct LinuxStat
    {
        public const int Size = 144;
        public const long BlockSize = 4096;

        public ulong Device;          //   0 st_dev
        public ulong Inode;           //   8 st_ino
        public ulong LinkCount;       //  16 st_nlink
        public uint Mode;             //  24 st_mode
        public uint UserId;           //  28 st_uid
        public uint GroupId;          //  32 st_gid
        public uint Padding0;         //  36
        public ulong SpecialDevice;   //  40 st_rdev
        public long FileSize;         //  48 st_size
        public long PreferredBlockSize; // 56 st_blksize
        public long Blocks;           //  64 st_blocks (512-byte units)
        public long AccessSeconds;    //  72 st_atime
        public long AccessNanoseconds;
        public long ModifySeconds;    //  88 st_mtime
        public long ModifyNanoseconds;
        public long ChangeSeconds;    // 104 st_ctime
        public long ChangeNanoseconds;
        public fixed long Reserved[3];// 120..143

        /// <summary>
        /// The stat of an object with no name (pipe, eventfd, epoll): Linux gives them pipefs or
        /// anon_inodefs inodes; <paramref name="mode"/> has the type bits (S_IFIFO) or none (anon inodes).
        /// </summary>
        public static void Anonymous(LinuxStat* st, uint mode, ulong inode)
        {
            *st = default;
            st->Device = AnonymousDevice;
            st->Inode = inode;
            st->LinkCount = 1;
            st->Mode = mode;
            st->PreferredBlockSize = BlockSize;
        }

        // The device number of the pseudo file system behind pipes and anonymous inodes.
        public const ulong AnonymousDevice = 15;   // 0:15
    }
}
