#pragma warning disable CS0649 // fields the app reads, some always zero here

namespace Kernel.Files
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

        public static void FromSuperBlock(SuperBlock fs, LinuxStatFs* st)
        {
            *st = default;
            st->Type = fs.Magic;
            st->BlockSize = 4096;
            st->FragmentSize = 4096;
            st->FileSystemId0 = (int)fs.Device;
            st->FileSystemId1 = 0;
            st->NameLength = MaxNameLength;
            st->Flags = fs.MountFlags | 0x20;   // ST_VALID: f_flags is meaningful
            if (fs.CapacityBytes != 0)
            {
                st->Blocks = fs.CapacityBytes / 4096;
                ulong used = (fs.UsedBytes + 4095) / 4096;
                st->FreeBlocks = used < st->Blocks ? st->Blocks - used : 0;
                st->AvailableBlocks = st->FreeBlocks;
                st->Files = fs.NodeLimit;
                st->FreeFiles = fs.NodeCount < fs.NodeLimit ? fs.NodeLimit - fs.NodeCount : 0;
            }
            // proc, sysfs and the read-only root report zero blocks, like Linux's procfs and sysfs.
        }
    }
}
