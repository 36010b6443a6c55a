namespace Kernel.Files
{
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }: the name
    // is NUL-terminated and the record padded to a multiple of 8 bytes.
    internal static unsafe class DirectoryEntryWriter
    {
        public const int HeaderSize = 19;

        public static int RecordSize(int nameLength) => (HeaderSize + nameLength + 1 + 7) & ~7;

        /// <summary>Writes one record; its size, or 0 when it does not fit in <paramref name="space"/>.</summary>
        public static int Write(byte* destination, long space, ulong inode, long nextOffset, byte type, byte* name, int nameLength)
        {
            int size = RecordSize(nameLength);
            if (size > space) return 0;
            *(ulong*)destination = inode;
            *(long*)(destination + 8) = nextOffset;
            *(ushort*)(destination + 16) = (ushort)size;
            destination[18] = type;
            for (int i = 0; i < nameLength; i++) destination[HeaderSize + i] = name[i];
            for (int i = HeaderSize + nameLength; i < size; i++) destination[i] = 0;
            return size;
        }
    }
}
