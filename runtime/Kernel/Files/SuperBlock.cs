using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // One mounted file system: what statfs reports, the device number its files show in st_dev, and
    // whether files may be created in it. The tree itself is one namespace; each node points at the
    // super block it belongs to (/tmp's nodes at the tmpfs one, /proc's at proc, ...).
    internal sealed unsafe class SuperBlock
    {
        // statfs f_type values (linux/magic.h).
        public const long TmpfsMagic = 0x01021994, ProcMagic = 0x9FA0, SysfsMagic = 0x62656572, RamfsMagic = unchecked((long)0x858458F6);
        public const long DevtmpfsMagic = TmpfsMagic;

        // statfs f_flags (ST_*).
        public const long MountReadOnly = 1, MountNoSetUid = 2, MountNoDevices = 4, MountNoExec = 8, MountRelativeAccessTime = 0x1000;

        public readonly string TypeName;      // mountinfo's file system type
        public readonly string MountPath;     // where it is mounted
        public readonly long Magic;
        public readonly uint MountId;
        public readonly ulong Device;        // st_dev of every file in it (anonymous device 0:MountId)
        public readonly bool Writable;
        public readonly long MountFlags;

        /// <summary>Bytes of file content the file system may hold (tmpfs size=); 0 = reports no blocks.</summary>
        public ulong CapacityBytes;
        public ulong UsedBytes;
        public ulong NodeLimit;
        public ulong NodeCount;

        public SuperBlock(string typeName, string mountPath, long magic, uint mountId, bool writable, long mountFlags)
        {
            TypeName = typeName;
            MountPath = mountPath;
            Magic = magic;
            MountId = mountId;
            Device = FileTypeBits.MakeDevice(0, mountId);
            Writable = writable;
            MountFlags = mountFlags | (writable ? 0 : MountReadOnly);
            NodeLimit = 1UL << 20;
        }

        /// <summary>Accounts for <paramref name="bytes"/> more content; false when the file system is full.</summary>
        public bool Charge(ulong bytes)
        {
            if (CapacityBytes != 0 && UsedBytes + bytes > CapacityBytes) return false;
            UsedBytes += bytes;
            return true;
        }

        public void Uncharge(ulong bytes) => UsedBytes = bytes > UsedBytes ? 0 : UsedBytes - bytes;

        public void StatFs(LinuxStatFs* st)
        {
            *st = default;
            st->Type = Magic;
            st->BlockSize = 4096;
            st->FragmentSize = 4096;
            st->FileSystemId0 = (int)Device;
            st->FileSystemId1 = 0;
            st->NameLength = LinuxStatFs.MaxNameLength;
            st->Flags = MountFlags | 0x20;   // ST_VALID: f_flags is meaningful
            if (CapacityBytes != 0)
            {
                st->Blocks = CapacityBytes / 4096;
                ulong used = (UsedBytes + 4095) / 4096;
                st->FreeBlocks = used < st->Blocks ? st->Blocks - used : 0;
                st->AvailableBlocks = st->FreeBlocks;
                st->Files = NodeLimit;
                st->FreeFiles = NodeCount < NodeLimit ? NodeLimit - NodeCount : 0;
            }
            // proc, sysfs and the read-only root report zero blocks, like Linux's procfs and sysfs.
        }
    }
}
