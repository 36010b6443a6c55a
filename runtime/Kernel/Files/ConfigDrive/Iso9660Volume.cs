using Kernel.Platform;

namespace Kernel.Files.ConfigDrive
{
    // An ISO 9660 (ECMA-119) volume, read-only, as genisoimage and xorriso write config drives (cloud-localds runs
    // `genisoimage -volid cidata -joliet -rock`; OpenStack's nova uses genisoimage or xorriso with -V config-2 -J -R).
    // Names come from the best tree the volume has:
    //   1. Joliet: a supplementary volume descriptor (type 2) whose escape sequence is %/@, %/C or %/E names a second
    //      directory tree with UCS-2 big-endian names (";1" version suffixes are dropped);
    //   2. Rock Ridge (IEEE P1282 over SUSP P1281): NM entries in the system use area of the primary tree's records;
    //   3. the primary tree's own names (d-characters, "USER_DAT.;1"), version and a trailing '.' dropped.
    // Volume descriptors start at logical sector 16 (2048 bytes); a directory is an extent of records that never cross a
    // logical block (a zero length byte skips to the next); numbers are stored both-endian and the little-endian half
    // is read. File sections (multi-extent files) and Rock Ridge CE continuations are not followed: config drives' files
    // are far below 4 GiB and their names far below the system use area's size.
    internal sealed unsafe class Iso9660Volume : ReadOnlyVolume
    {
        private const int SectorSize = 2048;
        private const int FirstDescriptor = 16;
        private const int MaxDescriptors = 32;
        private const byte PrimaryDescriptor = 1, SupplementaryDescriptor = 2, TerminatorDescriptor = 255;
        private const byte FlagDirectory = 2;
        private const int MaxNameLength = 255;

        private ulong _blockSize;
        private ulong _rootExtent, _rootSize;
        private bool _joliet;
        private bool _rockRidge;

        private Iso9660Volume(ReadOnlyDisk disk) : base(disk) { }

        public override string Kind => "iso9660";

        /// <summary>The volume if <paramref name="disk"/> carries ISO 9660's descriptors, else null.</summary>
        public static Iso9660Volume Recognize(ReadOnlyDisk disk)
        {
            byte* descriptor = FileMemory.Allocate(SectorSize);
            if (descriptor == null) return null;
            Iso9660Volume volume = null;
            bool jolietFound = false;
            for (int i = 0; i < MaxDescriptors; i++)
            {
                if (!disk.Read((ulong)(FirstDescriptor + i) * SectorSize, descriptor, SectorSize)) break;
                if (descriptor[1] != 'C' || descriptor[2] != 'D' || descriptor[3] != '0' || descriptor[4] != '0' || descriptor[5] != '1') break;
                byte type = descriptor[0];
                if (type == TerminatorDescriptor) break;
                if (type == PrimaryDescriptor && volume == null)
                {
                    volume = new Iso9660Volume(disk);
                    volume._blockSize = VolumeNames.Read16(descriptor + 128);
                    volume.SetLabel(descriptor + 40, 32);
                    volume.TakeRoot(descriptor + 156);
                }
                else if (type == SupplementaryDescriptor && IsJoliet(descriptor) && volume != null && !jolietFound)
                {
                    jolietFound = true;
                    volume.TakeRoot(descriptor + 156);
                    volume._joliet = true;
                }
            }
            FileMemory.Free(descriptor);
            if (volume == null) return null;
            if (volume._blockSize < 512 || volume._blockSize > SectorSize || (volume._blockSize & (volume._blockSize - 1)) != 0)
            {
                FileMemory.Release(volume);
                return null;
            }
            if (!volume._joliet) volume._rockRidge = volume.RootHasRockRidge();
            return volume;
        }

        // Joliet's escape sequences at byte 88 (UCS-2 levels 1, 2 and 3).
        private static bool IsJoliet(byte* descriptor)
            => descriptor[88] == 0x25 && descriptor[89] == 0x2F && (descriptor[90] == 0x40 || descriptor[90] == 0x43 || descriptor[90] == 0x45);

        private void TakeRoot(byte* record)
        {
            _rootExtent = VolumeNames.Read32(record + 2);
            _rootSize = VolumeNames.Read32(record + 10);
        }

        // SUSP's SP entry in the root's "." record announces the system use sharing protocol; Rock Ridge's RR/NM entries
        // only mean anything behind it.
        private bool RootHasRockRidge()
        {
            if (_rootSize < 34) return false;
            byte* block = FileMemory.Allocate(SectorSize);
            if (block == null) return false;
            bool found = false;
            if (Disk.Read(_rootExtent * _blockSize, block, (int)_blockSize))
            {
                int length = block[0];
                int nameLength = block[32];
                int systemUse = 33 + nameLength + ((nameLength & 1) == 0 ? 1 : 0);
                found = length >= systemUse + 7 && block[systemUse] == 'S' && block[systemUse + 1] == 'P'
                        && block[systemUse + 4] == 0xBE && block[systemUse + 5] == 0xEF;
            }
            FileMemory.Free(block);
            return found;
        }

        protected override string Find(string path, out FileLocation file, out ulong size)
        {
            file = new FileLocation();
            size = 0;
            ulong extent = _rootExtent, extentSize = _rootSize;
            bool isDirectory = true;
            int start = 0;
            byte* name = FileMemory.Allocate(MaxNameLength + 1);
            if (name == null) return "no memory to read the volume";
            string problem = null;
            while (start <= path.Length)
            {
                int end = start;
                while (end < path.Length && path[end] != '/') end++;
                if (end == start) { start = end + 1; continue; }   // "a//b" or a leading '/'
                if (!isDirectory) { file.Missing = true; break; }
                bool found;
                problem = Lookup(extent, extentSize, path, start, end, name, out found, out extent, out extentSize, out isDirectory);
                if (problem != null) break;
                if (!found) { file.Missing = true; break; }
                start = end + 1;
            }
            FileMemory.Free(name);
            if (problem != null || file.Missing) return problem;
            if (isDirectory) { file.Missing = true; return null; }
            file.Start = extent;
            size = extentSize;
            return null;
        }

        // Looks for the entry named path[start, end) in the directory at extent.
        private string Lookup(ulong extent, ulong extentSize, string path, int start, int end, byte* name,
                              out bool found, out ulong entryExtent, out ulong entrySize, out bool isDirectory)
        {
            found = false;
            entryExtent = 0;
            entrySize = 0;
            isDirectory = false;
            if (extentSize > MaxDirectoryBytes) return "a directory is larger than a config drive's can be";
            if (extent * _blockSize + extentSize > Disk.Size) return "a directory extent lies past the end of the disk";
            byte* directory = FileMemory.Allocate(extentSize + 1);
            if (directory == null) return "no memory to read a directory";
            string problem = null;
            if (!Disk.Read(extent * _blockSize, directory, (int)extentSize)) problem = "cannot read a directory";
            ulong position = 0;
            while (problem == null && position < extentSize)
            {
                byte* record = directory + position;
                int length = record[0];
                if (length == 0)
                {
                    position = (position / _blockSize + 1) * _blockSize;   // records never cross a block: the rest is padding
                    continue;
                }
                int nameLength = record[32];
                if (length < 34 || position + (ulong)length > extentSize || 33 + nameLength > length)
                {
                    problem = "a directory record is malformed";
                    break;
                }
                position += (ulong)length;
                if (nameLength == 1 && (record[33] == 0 || record[33] == 1)) continue;   // "." and ".."
                int decoded = DecodeName(record, length, nameLength, name);
                if (!VolumeNames.SameName(name, decoded, path, start, end)) continue;
                found = true;
                entryExtent = VolumeNames.Read32(record + 2);
                entrySize = VolumeNames.Read32(record + 10);
                isDirectory = (record[25] & FlagDirectory) != 0;
                if (!isDirectory && entryExtent * _blockSize + entrySize > Disk.Size) problem = "a file's extent lies past the end of the disk";
                break;
            }
            FileMemory.Free(directory);
            return problem;
        }

        private int DecodeName(byte* record, int length, int nameLength, byte* name)
        {
            byte* identifier = record + 33;
            int count = 0;
            if (_joliet)
            {
                for (int i = 0; i + 1 < nameLength && count < MaxNameLength; i += 2)
                    name[count++] = VolumeNames.FromUtf16((identifier[i] << 8) | identifier[i + 1]);
                return WithoutVersion(name, count, false);
            }
            if (_rockRidge)
            {
                count = RockRidgeName(record, length, nameLength, name);
                if (count > 0) return count;
            }
            for (int i = 0; i < nameLength && count < MaxNameLength; i++) name[count++] = identifier[i];
            return WithoutVersion(name, count, true);
        }

        // "NAME;1" -> "NAME"; in the primary tree also "NAME." (a name without an extension keeps its separator).
        private static int WithoutVersion(byte* name, int count, bool dropTrailingDot)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                if (name[i] == ';') { count = i; break; }
                if (name[i] < '0' || name[i] > '9') break;
            }
            if (dropTrailingDot && count > 1 && name[count - 1] == '.') count--;
            return count;
        }

        // The NM entries of the record's system use area (after the identifier and its padding byte), concatenated while
        // their CONTINUE flag is set; 0 when there is none (or it names "." or "..").
        private static int RockRidgeName(byte* record, int length, int nameLength, byte* name)
        {
            const byte Continue = 1, Current = 2, Parent = 4;
            int position = 33 + nameLength + ((nameLength & 1) == 0 ? 1 : 0);
            int count = 0;
            while (position + 4 <= length)
            {
                byte* entry = record + position;
                int entryLength = entry[2];
                if (entryLength < 4 || position + entryLength > length) break;
                if (entry[0] == 'S' && entry[1] == 'T') break;
                if (entry[0] == 'N' && entry[1] == 'M' && entryLength >= 5)
                {
                    byte flags = entry[4];
                    if ((flags & (Current | Parent)) != 0) return 0;
                    for (int i = 5; i < entryLength && count < MaxNameLength; i++) name[count++] = entry[i];
                    if ((flags & Continue) == 0) return count;
                }
                position += entryLength;
            }
            return count;
        }

        protected override string ReadContents(FileLocation file, byte* destination, int size)
            => size == 0 || Disk.Read(file.Start * _blockSize, destination, size) ? null : "cannot read the file's extent";
    }
}
