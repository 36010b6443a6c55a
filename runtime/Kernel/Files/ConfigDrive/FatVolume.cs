using Kernel.Platform;

namespace Kernel.Files.ConfigDrive
{
    // A FAT12/16/32 volume, read-only, as `cloud-localds -f vfat` makes one (mkfs.vfat -n cidata, files copied in with
    // mtools, so "user-data" has a long name over "USER-D~1"). From Microsoft's FAT specification (fatgen103):
    // the BIOS parameter block in sector 0 gives the layout -- reserved sectors, the FATs, the fixed root directory
    // (FAT12/16) and the data area in clusters; the count of clusters alone decides the FAT's width (fewer than 4085:
    // 12 bits, fewer than 65525: 16, else 32). A directory is 32-byte entries; a long name is a run of LFN entries
    // (attribute 0x0F) right before its short entry, last piece first, 13 UTF-16 units each, tied to the short name by
    // a checksum. Without a long name, the short name is shown as Windows NT does: lower case where byte 12 says so.
    // The label is the root's volume-label entry, else the BPB's (blkid's order).
    internal sealed unsafe class FatVolume : ReadOnlyVolume
    {
        private const byte AttributeVolumeLabel = 0x08, AttributeDirectory = 0x10, AttributeLongName = 0x0F;
        private const int EntrySize = 32;
        private const int MaxNameLength = 255;
        private const byte LowerCaseBase = 0x08, LowerCaseExtension = 0x10;

        private ulong _bytesPerSector, _bytesPerCluster;
        private ulong _fatOffset, _rootOffset, _rootBytes, _dataOffset;
        private uint _clusterCount, _rootCluster;
        private int _fatBits;

        private FatVolume(ReadOnlyDisk disk) : base(disk) { }

        public override string Kind => "vfat";

        /// <summary>The volume if sector 0 of <paramref name="disk"/> is a FAT boot sector with a consistent BPB, else null.</summary>
        public static FatVolume Recognize(ReadOnlyDisk disk)
        {
            byte* sector = FileMemory.Allocate(512);
            if (sector == null) return null;
            FatVolume volume = null;
            if (disk.Read(0, sector, 512)) volume = FromBootSector(disk, sector);
            FileMemory.Free(sector);
            if (volume != null && !volume.TakeRootLabel()) { FileMemory.Release(volume); return null; }
            return volume;
        }

        private static FatVolume FromBootSector(ReadOnlyDisk disk, byte* b)
        {
            if ((b[0] != 0xEB && b[0] != 0xE9) || b[510] != 0x55 || b[511] != 0xAA) return null;
            ulong bytesPerSector = VolumeNames.Read16(b + 11);
            ulong sectorsPerCluster = b[13];
            ulong reserved = VolumeNames.Read16(b + 14);
            ulong fats = b[16];
            ulong rootEntries = VolumeNames.Read16(b + 17);
            ulong totalSectors = VolumeNames.Read16(b + 19);
            if (totalSectors == 0) totalSectors = VolumeNames.Read32(b + 32);
            ulong fatSectors = VolumeNames.Read16(b + 22);
            bool fat32Layout = fatSectors == 0;
            if (fat32Layout) fatSectors = VolumeNames.Read32(b + 36);
            if (bytesPerSector < 512 || bytesPerSector > 4096 || (bytesPerSector & (bytesPerSector - 1)) != 0) return null;
            if (sectorsPerCluster == 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) != 0) return null;
            if (reserved == 0 || fats == 0 || fatSectors == 0) return null;
            ulong rootSectors = (rootEntries * EntrySize + bytesPerSector - 1) / bytesPerSector;
            ulong dataSector = reserved + fats * fatSectors + rootSectors;
            if (totalSectors <= dataSector || totalSectors * bytesPerSector > disk.Size) return null;
            ulong clusters = (totalSectors - dataSector) / sectorsPerCluster;

            var volume = new FatVolume(disk);
            volume._bytesPerSector = bytesPerSector;
            volume._bytesPerCluster = bytesPerSector * sectorsPerCluster;
            volume._fatOffset = reserved * bytesPerSector;
            volume._rootOffset = (reserved + fats * fatSectors) * bytesPerSector;
            volume._rootBytes = rootSectors * bytesPerSector;
            volume._dataOffset = dataSector * bytesPerSector;
            volume._clusterCount = (uint)clusters;
            volume._fatBits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
            if (volume._fatBits == 32)
            {
                if (!fat32Layout) { FileMemory.Release(volume); return null; }
                volume._rootCluster = VolumeNames.Read32(b + 44);
                if (b[66] == 0x29) volume.SetLabel(b + 71, 11);
            }
            else if (b[38] == 0x29) volume.SetLabel(b + 43, 11);
            if (volume.LabelIs("NO NAME")) volume.SetLabel(b, 0);
            return volume;
        }

        // The root directory's volume-label entry wins over the BPB's copy, which tools do not always update.
        private bool TakeRootLabel()
        {
            ulong size;
            byte* root = ReadDirectory(_fatBits == 32 ? _rootCluster : 0, out size);
            if (root == null) return false;
            for (ulong position = 0; position + EntrySize <= size; position += EntrySize)
            {
                byte* entry = root + position;
                if (entry[0] == 0) break;
                if (entry[0] == 0xE5 || entry[11] == AttributeLongName) continue;
                if ((entry[11] & (AttributeVolumeLabel | AttributeDirectory)) == AttributeVolumeLabel) { SetLabel(entry, 11); break; }
            }
            FileMemory.Free(root);
            return true;
        }

        protected override string Find(string path, out FileLocation file, out ulong size)
        {
            file = new FileLocation();
            size = 0;
            uint cluster = _fatBits == 32 ? _rootCluster : 0;   // 0: FAT12/16's fixed root directory
            bool isDirectory = true;
            int start = 0;
            byte* name = FileMemory.Allocate(MaxNameLength + 1);
            if (name == null) return "no memory to read the volume";
            string problem = null;
            while (start <= path.Length)
            {
                int end = start;
                while (end < path.Length && path[end] != '/') end++;
                if (end == start) { start = end + 1; continue; }
                if (!isDirectory) { file.Missing = true; break; }
                ulong directorySize;
                byte* directory = ReadDirectory(cluster, out directorySize);
                if (directory == null) { problem = "a directory's clusters cannot be read"; break; }
                bool found = Lookup(directory, directorySize, path, start, end, name, out cluster, out size, out isDirectory);
                FileMemory.Free(directory);
                if (!found) { file.Missing = true; break; }
                start = end + 1;
            }
            FileMemory.Free(name);
            if (problem != null || file.Missing) return problem;
            if (isDirectory) { file.Missing = true; return null; }
            file.Start = cluster;
            return null;
        }

        private bool Lookup(byte* directory, ulong size, string path, int start, int end, byte* name,
                            out uint cluster, out ulong fileSize, out bool isDirectory)
        {
            cluster = 0;
            fileSize = 0;
            isDirectory = false;
            int longPieces = 0;         // pieces of the long name still expected (0: none being collected)
            int longLength = 0;
            byte longChecksum = 0;
            bool longValid = false;
            for (ulong position = 0; position + EntrySize <= size; position += EntrySize)
            {
                byte* entry = directory + position;
                if (entry[0] == 0) break;
                if (entry[0] == 0xE5) { longValid = false; continue; }
                if (entry[11] == AttributeLongName)
                {
                    int sequence = entry[0] & 0x1F;
                    if ((entry[0] & 0x40) != 0)
                    {
                        longValid = sequence > 0 && sequence * 13 <= MaxNameLength + 13;
                        longPieces = sequence;
                        longChecksum = entry[13];
                        longLength = 0;
                    }
                    else longValid = longValid && sequence == longPieces && entry[13] == longChecksum;
                    if (longValid)
                    {
                        int taken = TakeLongPiece(entry, name, (sequence - 1) * 13);
                        if (taken >= 0 && (entry[0] & 0x40) != 0) longLength = (sequence - 1) * 13 + taken;
                        longPieces = sequence - 1;
                    }
                    continue;
                }
                bool useLong = longValid && longPieces == 0 && longLength > 0 && ShortNameChecksum(entry) == longChecksum;
                longValid = false;
                if ((entry[11] & AttributeVolumeLabel) != 0) continue;
                int length = useLong ? (longLength > MaxNameLength ? MaxNameLength : longLength) : ShortName(entry, name);
                if ((length == 1 && name[0] == '.') || (length == 2 && name[0] == '.' && name[1] == '.')) continue;
                if (!VolumeNames.SameName(name, length, path, start, end)) continue;
                cluster = VolumeNames.Read16(entry + 26) | (_fatBits == 32 ? (uint)VolumeNames.Read16(entry + 20) << 16 : 0);
                fileSize = VolumeNames.Read32(entry + 28);
                isDirectory = (entry[11] & AttributeDirectory) != 0;
                return true;
            }
            return false;
        }

        // An LFN entry's 13 UTF-16LE units (at 1, 14 and 28) into name[at..]; returns the units before the name's end
        // (a NUL, then 0xFFFF padding), or 13 when the piece is full.
        private static int TakeLongPiece(byte* entry, byte* name, int at)
        {
            int count = 0;
            for (int i = 0; i < 13; i++)
            {
                int offset = i < 5 ? 1 + 2 * i : i < 11 ? 14 + 2 * (i - 5) : 28 + 2 * (i - 11);
                int unit = entry[offset] | (entry[offset + 1] << 8);
                if (unit == 0) return count;
                if (at + i < MaxNameLength) name[at + i] = VolumeNames.FromUtf16(unit);
                count++;
            }
            return count;
        }

        private static byte ShortNameChecksum(byte* entry)
        {
            byte sum = 0;
            for (int i = 0; i < 11; i++) sum = (byte)(((sum & 1) << 7) + (sum >> 1) + entry[i]);
            return sum;
        }

        // "USER-D~1   " -> "USER-D~1"; "README  TXT" -> "README.TXT", or "readme.txt" with the NT lower-case flags.
        private static int ShortName(byte* entry, byte* name)
        {
            int count = 0;
            int baseEnd = 8;
            while (baseEnd > 0 && entry[baseEnd - 1] == ' ') baseEnd--;
            for (int i = 0; i < baseEnd; i++)
            {
                byte c = i == 0 && entry[0] == 0x05 ? (byte)0xE5 : entry[i];
                name[count++] = (entry[12] & LowerCaseBase) != 0 ? ToLower(c) : c;
            }
            int extensionEnd = 11;
            while (extensionEnd > 8 && entry[extensionEnd - 1] == ' ') extensionEnd--;
            if (extensionEnd > 8) name[count++] = (byte)'.';
            for (int i = 8; i < extensionEnd; i++) name[count++] = (entry[12] & LowerCaseExtension) != 0 ? ToLower(entry[i]) : entry[i];
            return count;
        }

        private static byte ToLower(byte c) => c >= 'A' && c <= 'Z' ? (byte)(c + 32) : c;

        // A directory's entries: the fixed root region (cluster 0 on FAT12/16) or a cluster chain. Null when unreadable.
        private byte* ReadDirectory(uint cluster, out ulong size)
        {
            size = 0;
            if (cluster == 0 && _fatBits != 32)
            {
                byte* root = FileMemory.Allocate(_rootBytes + 1);
                if (root == null) return null;
                if (!Disk.Read(_rootOffset, root, (int)_rootBytes)) { FileMemory.Free(root); return null; }
                size = _rootBytes;
                return root;
            }
            ulong clusters = ChainLength(cluster);
            if (clusters == 0 || clusters * _bytesPerCluster > MaxDirectoryBytes) return null;
            size = clusters * _bytesPerCluster;
            byte* data = FileMemory.Allocate(size + 1);
            if (data == null) return null;
            if (ReadChain(cluster, data, size) != null) { FileMemory.Free(data); return null; }
            return data;
        }

        protected override string ReadContents(FileLocation file, byte* destination, int size)
            => size == 0 ? null : ReadChain((uint)file.Start, destination, (ulong)size);

        // Follows the chain from cluster, copying size bytes.
        private string ReadChain(uint cluster, byte* destination, ulong size)
        {
            ulong done = 0;
            uint steps = 0;
            while (done < size)
            {
                if (cluster < 2 || cluster >= _clusterCount + 2) return "a cluster chain leaves the volume";
                if (++steps > _clusterCount) return "a cluster chain loops";
                ulong piece = size - done < _bytesPerCluster ? size - done : _bytesPerCluster;
                if (!Disk.Read(_dataOffset + (ulong)(cluster - 2) * _bytesPerCluster, destination + done, (int)piece)) return "cannot read a cluster";
                done += piece;
                if (done < size)
                {
                    uint next;
                    if (!NextCluster(cluster, out next)) return "cannot read the FAT";
                    if (IsEndOfChain(next)) return "a cluster chain ends before the file does";
                    cluster = next;
                }
            }
            return null;
        }

        // Clusters in the chain from cluster, or 0 when it is broken (leaves the volume, loops, or cannot be read).
        private ulong ChainLength(uint cluster)
        {
            ulong count = 0;
            while (true)
            {
                if (cluster < 2 || cluster >= _clusterCount + 2 || count >= _clusterCount) return 0;
                count++;
                uint next;
                if (!NextCluster(cluster, out next)) return 0;
                if (IsEndOfChain(next)) return count;
                cluster = next;
            }
        }

        private bool IsEndOfChain(uint value)
            => _fatBits == 12 ? value >= 0xFF8 : _fatBits == 16 ? value >= 0xFFF8 : value >= 0x0FFF_FFF8;

        private bool NextCluster(uint cluster, out uint next)
        {
            next = 0;
            byte* bytes = stackalloc byte[4];
            if (_fatBits == 12)
            {
                if (!Disk.Read(_fatOffset + cluster + cluster / 2, bytes, 2)) return false;
                uint pair = VolumeNames.Read16(bytes);
                next = (cluster & 1) != 0 ? pair >> 4 : pair & 0xFFF;
            }
            else if (_fatBits == 16)
            {
                if (!Disk.Read(_fatOffset + 2UL * cluster, bytes, 2)) return false;
                next = VolumeNames.Read16(bytes);
            }
            else
            {
                if (!Disk.Read(_fatOffset + 4UL * cluster, bytes, 4)) return false;
                next = VolumeNames.Read32(bytes) & 0x0FFF_FFFF;
            }
            return true;
        }
    }
}
