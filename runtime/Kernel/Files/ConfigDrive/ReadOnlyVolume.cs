using Kernel.Platform;

namespace Kernel.Files.ConfigDrive
{
    // A file system on a ReadOnlyDisk, as far as a config drive needs one: its label and a file's bytes by path.
    // Iso9660Volume and FatVolume are the two kinds config drives are made of; Open tells them apart.
    internal abstract unsafe class ReadOnlyVolume
    {
        public const int MaxLabelLength = 32;
        /// <summary>Directories larger than this are not read (a config drive's hold a handful of entries).</summary>
        public const int MaxDirectoryBytes = 1 << 20;

        protected readonly ReadOnlyDisk Disk;
        private readonly byte* _label;
        private int _labelLength;

        protected ReadOnlyVolume(ReadOnlyDisk disk)
        {
            Disk = disk;
            _label = FileMemory.Allocate(MaxLabelLength + 1);
        }

        /// <summary>"iso9660" or "vfat", for reports.</summary>
        public abstract string Kind { get; }

        /// <summary>The volume label as stored, trailing spaces removed (empty when the volume has none).</summary>
        public byte* Label => _label;
        public int LabelLength => _labelLength;

        /// <summary>Does the label read <paramref name="name"/>, ignoring ASCII case (tools write "cidata" and "CIDATA")?</summary>
        public bool LabelIs(string name) => VolumeNames.SameName(_label, _labelLength, name, 0, name.Length);

        /// <summary>
        /// The bytes of the regular file at <paramref name="path"/> ('/'-separated, from the root, names compared ignoring
        /// ASCII case), NUL-terminated after <paramref name="length"/> bytes, in memory from FileMemory. Null when there is
        /// no such file (<paramref name="problem"/> null) or when it cannot be read: larger than <paramref name="maxBytes"/>,
        /// or the volume's structures are broken (<paramref name="problem"/> says which).
        /// </summary>
        public byte* ReadFile(string path, int maxBytes, out int length, out string problem)
        {
            length = 0;
            ulong size;
            FileLocation file;
            problem = Find(path, out file, out size);
            if (problem != null || file.Missing) return null;
            if (size > (ulong)maxBytes)
            {
                problem = "the file is larger than a config drive's files may be";
                return null;
            }
            byte* data = FileMemory.Allocate(size + 1);
            if (data == null) { problem = "no memory for it"; return null; }
            problem = ReadContents(file, data, (int)size);
            if (problem != null) { FileMemory.Free(data); return null; }
            length = (int)size;
            return data;
        }

        /// <summary>Walks <paramref name="path"/>; null with <paramref name="file"/> Missing when a component is absent, else a problem.</summary>
        protected abstract string Find(string path, out FileLocation file, out ulong size);

        protected abstract string ReadContents(FileLocation file, byte* destination, int size);

        protected void SetLabel(byte* text, int length)
        {
            while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == 0)) length--;
            if (length > MaxLabelLength) length = MaxLabelLength;
            for (int i = 0; i < length; i++) _label[i] = text[i];
            _labelLength = length;
        }

        /// <summary>The volume on <paramref name="disk"/> if it is ISO 9660 or FAT, else null.</summary>
        public static ReadOnlyVolume Open(ReadOnlyDisk disk)
        {
            ReadOnlyVolume volume = Iso9660Volume.Recognize(disk);
            if (volume != null) return volume;
            return FatVolume.Recognize(disk);
        }
    }

    /// <summary>Where a file's bytes start (an ISO extent's block, a FAT cluster); Missing when the path named nothing.</summary>
    internal struct FileLocation
    {
        public ulong Start;
        public bool Missing;
    }
}
