namespace Kernel.Files
{
    // Keeps a synthesized directory's entries in step with kernel state that changes on its own
    // (/proc/<pid>/task with the threads, /proc/<pid>/fd with the descriptors). The directory calls it
    // before every lookup and every open for listing. It must only add entries for new things and remove
    // those whose thing is gone, leaving the others where they are, so a listing in progress (its
    // getdents positions) sees every entry once.
    internal abstract unsafe class DirectorySynchronizer
    {
        public abstract void Synchronize(DirectoryNode directory);

        /// <summary>Unlinks <paramref name="child"/> and everything under it; what is still open stays until closed.</summary>
        public static void Remove(DirectoryNode directory, VfsNode child)
        {
            var subdirectory = child as DirectoryNode;
            if (subdirectory != null)
                while (subdirectory.FirstChild != null) Remove(subdirectory, subdirectory.FirstChild);
            directory.Detach(child);
            child.FreeIfUnused();
        }

        /// <summary>The entry's name as a non-negative decimal number, or -1.</summary>
        public static long NameAsNumber(VfsNode child)
        {
            byte[] name = child.Name;
            if (name == null || name.Length == 0 || name.Length > 9) return -1;
            long value = 0;
            for (int i = 0; i < name.Length; i++)
            {
                if (name[i] < (byte)'0' || name[i] > (byte)'9') return -1;
                value = value * 10 + (name[i] - (byte)'0');
            }
            return value;
        }

        /// <summary>Links <paramref name="child"/> into <paramref name="directory"/> under the decimal number <paramref name="number"/>.</summary>
        public static void AddNumbered(DirectoryNode directory, ulong number, VfsNode child)
        {
            byte* digits = stackalloc byte[20];
            int n = 20;
            do { digits[--n] = (byte)('0' + (int)(number % 10)); number /= 10; } while (number != 0);
            directory.Attach(child, FileNames.FromBytes(digits + n, 20 - n));
        }
    }
}
