namespace Kernel.LinuxAbi
{
    // st_mode's file type and permission bits (S_IF*, sys/stat.h) and getdents64's d_type (DT_*).
    internal static class FileTypeBits
    {
        public const uint TypeMask = 0xF000;
        public const uint Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, Regular = 0x8000;
        public const uint Symlink = 0xA000, Socket = 0xC000;
        public const uint PermissionMask = 0xFFF;   // rwx for user/group/other, setuid, setgid, sticky
        public const uint SetUserId = 0x800, SetGroupId = 0x400, GroupExecute = 0x8;

        public const byte DirentUnknown = 0, DirentFifo = 1, DirentCharacterDevice = 2, DirentDirectory = 4;
        public const byte DirentRegular = 8, DirentSymlink = 10, DirentSocket = 12;

        public static byte DirentType(uint mode)
        {
            switch (mode & TypeMask)
            {
                case Fifo: return DirentFifo;
                case CharacterDevice: return DirentCharacterDevice;
                case Directory: return DirentDirectory;
                case Regular: return DirentRegular;
                case Symlink: return DirentSymlink;
                case Socket: return DirentSocket;
                default: return DirentUnknown;
            }
        }

        /// <summary>The st_dev/st_rdev encoding (new_encode_dev) of major:minor.</summary>
        public static ulong MakeDevice(uint major, uint minor) =>
            ((ulong)(minor & 0xFF)) | ((ulong)major << 8) | ((ulong)(minor & ~0xFFu) << 12);
    }
}
