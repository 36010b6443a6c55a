#pragma warning disable CS0649 // fields the app reads, some always zero here

namespace Kernel.LinuxAbi
{
    // struct statfs as Linux x86-64 writes it for statfs/fstatfs: 120 bytes.
    internal unsafe struct LinuxStatFs
    {
        public const int Size = 120;
        public const int MaxNameLength = 255;

        public long Type;             //   0 f_type (magic)
        public long BlockSize;        //   8 f_bsize
        public ulong Blocks;          //  16 f_blocks
        public ulong FreeBlocks;      //  24 f_bfree
        public ulong AvailableBlocks; //  32 f_bavail
        public ulong Files;           //  40 f_files
        public ulong FreeFiles;       //  48 f_ffree
        public int FileSystemId0;     //  56 f_fsid
        public int FileSystemId1;     //  60
        public long NameLength;       //  64 f_namelen
        public long FragmentSize;     //  72 f_frsize
        public long Flags;            //  80 f_flags
        public fixed long Spare[4];   //  88..119

    }
}
