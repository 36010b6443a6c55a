using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Formats
{
    /// <summary>One entry of <c>uk_files</c> as the host sees it: an absolute image path, its st_mode, and the file's
    /// bytes (a symlink's target as UTF-8; empty for a directory).</summary>
    internal sealed record UkFilesItem(string Path, uint Mode, byte[] Data)
    {
        public bool IsDirectory => (Mode & UkFilesFormat.TypeMask) == UkFilesFormat.TypeDirectory;
        public bool IsSymlink => (Mode & UkFilesFormat.TypeMask) == UkFilesFormat.TypeSymlink;
    }

    /// <summary>A decoded <c>uk_files</c> section: its entries in record order (the root first) and the executable's
    /// path (null without one). <see cref="DataBytes"/> counts each distinct content once, as the section stores it.</summary>
    internal sealed record UkFilesContents(IReadOnlyList<UkFilesItem> Items, string? ExecutablePath, int Size, long DataBytes,
        uint ModifiedTime = 0, UkFilesPackedSummary? Packed = null);

    /// <summary>What a section's packed stream holds: the files in it, their distinct bytes expanded, the blocks and
    /// their compressed bytes (<c>uk inspect</c> prints both sizes).</summary>
    internal sealed record UkFilesPackedSummary(int FileCount, long ExpandedBytes, int BlockCount, long StoredBytes, int BlockSize);

    /// <summary>How <see cref="UkFilesCodec.Encode"/> packs files: which ones (by image path), into blocks of how many
    /// bytes, compressed by what (an LZ4 block compressor; the linker passes its own).</summary>
    internal sealed record UkFilesPacking(int BlockSize, Func<byte[], byte[]> Compress, Func<string, bool> Packs);

    /// <summary>
    /// The one encoder and decoder of <c>uk_files</c> (<see cref="UkFilesFormat"/>) on the host: the linker writes the
    /// section with it, <c>uk inspect</c> and the tests read it. Directories the paths imply are added; the order, and
    /// so the bytes, depend only on the paths, modes and contents given.
    /// </summary>
    internal static class UkFilesCodec
    {
        public const uint DirectoryMode = UkFilesFormat.TypeDirectory | 0x1ED;   // drwxr-xr-x

        /// <summary>Checks an absolute image path and splits it into names; null with <paramref name="problem"/> set
        /// when it is not one (relative, empty names, "." or "..", NUL, too long).</summary>
        public static string[]? SplitPath(string path, out string? problem)
        {
            problem = null;
            if (!path.StartsWith('/')) { problem = "is not absolute"; return null; }
            if (Encoding.UTF8.GetByteCount(path) >= UkFilesFormat.PathMax) { problem = $"is longer than {UkFilesFormat.PathMax - 1} bytes"; return null; }
            if (path == "/") { problem = "is the root"; return null; }
            string[] names = path[1..].Split('/');
            foreach (string name in names)
            {
                if (name.Length == 0 || name == "." || name == "..") { problem = "has an empty, '.' or '..' component"; return null; }
                if (name.Contains('\0')) { problem = "contains a NUL"; return null; }
                if (Encoding.UTF8.GetByteCount(name) > UkFilesFormat.NameMax) { problem = $"has a name longer than {UkFilesFormat.NameMax} bytes"; return null; }
            }
            return names;
        }

        /// <summary>The section for <paramref name="items"/> (files and symlinks; directories are implied by their
        /// paths and may also be given). Throws <see cref="ArgumentException"/> for a bad or duplicate path or a path
        /// under a file.</summary>
        public static byte[] Encode(IReadOnlyList<UkFilesItem> items, string? executablePath, uint modifiedTime = 0,
            UkFilesPacking? packing = null)
        {
            var root = new Node("", DirectoryMode, NewChildren());
            foreach (var item in items)
            {
                string[] parts = SplitPath(item.Path, out string? problem) ?? throw new ArgumentException($"image path '{item.Path}' {problem}");
                Node directory = root;
                for (int i = 0; i < parts.Length - 1; i++)
                    directory = directory.Child(parts[i], item.Path);
                string leaf = parts[^1];
                if (directory.Children!.TryGetValue(leaf, out var existing))
                {
                    if (item.IsDirectory && existing.Children is not null)
                        continue;
                    throw new ArgumentException($"image path '{item.Path}' is given twice");
                }
                directory.Children[leaf] = item.IsDirectory ? new Node(leaf, item.Mode, NewChildren()) : new Node(leaf, item.Mode, null) { Data = item.Data };
            }

            var ordered = new List<(Node Node, int Parent, string Path)>();
            void Walk(Node node, int parent, string path)
            {
                int index = ordered.Count;
                ordered.Add((node, parent, path));
                if (node.Children is null)
                    return;
                foreach (var child in node.Children.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
                    Walk(child, index, path == "/" ? "/" + child.Name : path + "/" + child.Name);
            }
            Walk(root, 0, "/");

            int executable = executablePath is null ? -1 : ordered.FindIndex(o => o.Path == executablePath);
            if (executablePath is not null && (executable < 0 || ordered[executable].Node.Children is not null))
                throw new ArgumentException($"the executable '{executablePath}' is not a file of the image");

            var names = new MemoryStream();
            int namesStart = UkFilesFormat.HeaderSize + UkFilesFormat.EntrySize * ordered.Count;
            var nameRefs = new (uint Offset, uint Length)[ordered.Count];
            for (int i = 0; i < ordered.Count; i++)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(ordered[i].Node.Name);
                nameRefs[i] = ((uint)(namesStart + names.Length), (uint)bytes.Length);
                names.Write(bytes);
            }

            // Files with the same bytes share them (tzdata's aliases, a zone copied to /etc/localtime), packed or not.
            long dataStart = Align(namesStart + names.Length);
            var data = new MemoryStream();
            var stream = new MemoryStream();
            var shared = new Dictionary<byte[], long>(ContentComparer.Instance);
            var sharedPacked = new Dictionary<byte[], long>(ContentComparer.Instance);
            var dataRefs = new long[ordered.Count];
            var packed = new bool[ordered.Count];
            for (int i = 0; i < ordered.Count; i++)
            {
                if (ordered[i].Node.Data is not { } bytes)
                    continue;
                packed[i] = packing is not null && ordered[i].Node.Children is null && bytes.Length > 0
                    && (ordered[i].Node.Mode & UkFilesFormat.TypeMask) == UkFilesFormat.TypeRegular && packing.Packs(ordered[i].Path);
                if (packed[i])
                {
                    if (!sharedPacked.TryGetValue(bytes, out long at))
                    {
                        at = stream.Length;
                        sharedPacked[bytes] = at;
                        stream.Write(bytes);
                    }
                    dataRefs[i] = at;
                    continue;
                }
                if (!shared.TryGetValue(bytes, out long offset))
                {
                    offset = dataStart + data.Length;
                    shared[bytes] = offset;
                    data.Write(bytes);
                    data.SetLength(Align(data.Length));
                    data.Position = data.Length;
                }
                dataRefs[i] = offset;
            }

            // The packed stream, cut into blocks, each compressed on its own: the block table, then the blocks.
            long blockTableStart = dataStart + data.Length;
            var blocks = new List<byte[]>();
            var expandedSizes = new List<int>();
            if (packing is not null && stream.Length > 0)
            {
                if (packing.BlockSize < 4096 || packing.BlockSize > 1 << 24)
                    throw new ArgumentException($"a packed block of {packing.BlockSize} bytes is outside 4 KiB to 16 MiB");
                byte[] all = stream.ToArray();
                for (int at = 0; at < all.Length; at += packing.BlockSize)
                {
                    byte[] piece = all.AsSpan(at, Math.Min(packing.BlockSize, all.Length - at)).ToArray();
                    blocks.Add(packing.Compress(piece));
                    expandedSizes.Add(piece.Length);
                }
            }
            long blocksStart = blockTableStart + (long)UkFilesFormat.BlockRecordSize * blocks.Count;
            long size = blocksStart + blocks.Sum(b => (long)b.Length);
            if (size > uint.MaxValue)
                throw new ArgumentException($"the image's files take {size} bytes, more than {SectionBytesLimit} a section may hold");

            var section = new byte[size];
            var header = new UkFilesHeader
            {
                Magic = UkFilesFormat.Magic,
                Size = (uint)size,
                EntryCount = (uint)ordered.Count,
                EntriesOffset = UkFilesFormat.HeaderSize,
                EntrySize = UkFilesFormat.EntrySize,
                ExecutableEntry = executable < 0 ? UkFilesFormat.NoEntry : (uint)executable,
                ModifiedTime = modifiedTime,
                BlockTableOffset = blocks.Count == 0 ? 0 : (uint)blockTableStart,
                BlockCount = (uint)blocks.Count,
                BlockSize = blocks.Count == 0 ? 0 : (uint)packing!.BlockSize,
                Codec = blocks.Count == 0 ? 0 : UkFilesFormat.CodecLz4Block,
            };
            MemoryMarshal.Write(section, in header);
            for (int i = 0; i < ordered.Count; i++)
            {
                var node = ordered[i].Node;
                var entry = new UkFilesEntry
                {
                    DataOffset = node.Data is null ? 0 : (ulong)dataRefs[i],
                    Size = (ulong)(node.Data?.Length ?? 0),
                    Parent = (uint)ordered[i].Parent,
                    Mode = node.Mode | (packed[i] ? UkFilesFormat.ModePacked : 0),
                    NameOffset = nameRefs[i].Offset,
                    NameLength = nameRefs[i].Length,
                };
                MemoryMarshal.Write(section.AsSpan(UkFilesFormat.HeaderSize + UkFilesFormat.EntrySize * i), in entry);
            }
            names.ToArray().CopyTo(section, namesStart);
            data.ToArray().CopyTo(section, dataStart);
            long blockAt = blocksStart;
            for (int b = 0; b < blocks.Count; b++)
            {
                var record = new UkFilesBlock
                {
                    DataOffset = (uint)blockAt,
                    StoredSize = (uint)blocks[b].Length,
                    ExpandedSize = (uint)expandedSizes[b],
                };
                MemoryMarshal.Write(section.AsSpan((int)(blockTableStart + (long)UkFilesFormat.BlockRecordSize * b)), in record);
                blocks[b].CopyTo(section, blockAt);
                blockAt += blocks[b].Length;
            }
            return section;
        }

        private const string SectionBytesLimit = "4 GiB";

        private static long Align(long value) => (value + UkFilesFormat.DataAlignment - 1) & ~(long)(UkFilesFormat.DataAlignment - 1);

        /// <summary>Reads a section (packed files expanded); throws <see cref="InvalidDataException"/> when it is not a
        /// well-formed one.</summary>
        public static UkFilesContents Decode(ReadOnlySpan<byte> section)
        {
            if (section.Length < UkFilesFormat.HeaderSizeVersion1)
                throw new InvalidDataException($"{UkFilesFormat.SectionName} is shorter than its header");
            ulong magic = MemoryMarshal.Read<ulong>(section);
            if (magic != UkFilesFormat.Magic && magic != UkFilesFormat.MagicVersion1)
                throw new InvalidDataException($"{UkFilesFormat.SectionName} has the wrong magic");
            UkFilesHeader header;
            if (magic == UkFilesFormat.Magic)
            {
                if (section.Length < UkFilesFormat.HeaderSize)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} is shorter than its header");
                header = MemoryMarshal.Read<UkFilesHeader>(section);
            }
            else
            {
                Span<byte> padded = stackalloc byte[UkFilesFormat.HeaderSize];
                section[..UkFilesFormat.HeaderSizeVersion1].CopyTo(padded);
                header = MemoryMarshal.Read<UkFilesHeader>(padded);
            }
            int headerSize = magic == UkFilesFormat.Magic ? UkFilesFormat.HeaderSize : UkFilesFormat.HeaderSizeVersion1;
            if (header.Size > section.Length || header.EntrySize < UkFilesFormat.EntrySize || header.EntryCount == 0 ||
                header.EntriesOffset < headerSize || header.EntriesOffset + (ulong)header.EntrySize * header.EntryCount > header.Size)
                throw new InvalidDataException($"{UkFilesFormat.SectionName}'s header does not fit its size");
            section = section[..(int)header.Size];
            byte[] stream = ExpandPackedStream(section, header);
            var paths = new string[header.EntryCount];
            var items = new List<UkFilesItem>();
            var offsets = new HashSet<ulong>();
            var packedOffsets = new HashSet<ulong>();
            long dataBytes = 0;
            int packedFiles = 0;
            for (int i = 0; i < header.EntryCount; i++)
            {
                var entry = MemoryMarshal.Read<UkFilesEntry>(section[(int)(header.EntriesOffset + header.EntrySize * (uint)i)..]);
                bool isPacked = (entry.Mode & UkFilesFormat.ModePacked) != 0;
                if (isPacked && (entry.Mode & UkFilesFormat.TypeMask) != UkFilesFormat.TypeRegular)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} record {i} is packed but not a regular file");
                ulong limit = isPacked ? (ulong)stream.Length : header.Size;
                if ((ulong)entry.NameOffset + entry.NameLength > header.Size || entry.DataOffset + entry.Size > limit)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} record {i} points outside the section");
                if (i > 0 && entry.Parent >= i)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} record {i} comes before its parent");
                string name = Encoding.UTF8.GetString(section.Slice((int)entry.NameOffset, (int)entry.NameLength));
                paths[i] = i == 0 ? "/" : (entry.Parent == 0 ? "/" : paths[entry.Parent] + "/") + name;
                byte[] data = (isPacked ? stream.AsSpan() : section).Slice((int)entry.DataOffset, (int)entry.Size).ToArray();
                if (entry.Size > 0 && (isPacked ? packedOffsets : offsets).Add(entry.DataOffset))
                    dataBytes += (long)entry.Size;
                if (isPacked) packedFiles++;
                items.Add(new UkFilesItem(paths[i], entry.Mode & ~UkFilesFormat.ModePacked, data));
            }
            string? executable = header.ExecutableEntry == UkFilesFormat.NoEntry ? null
                : header.ExecutableEntry < header.EntryCount ? paths[header.ExecutableEntry]
                : throw new InvalidDataException($"{UkFilesFormat.SectionName}'s executable record is out of range");
            UkFilesPackedSummary? summary = header.BlockCount == 0 ? null
                : new UkFilesPackedSummary(packedFiles, stream.Length, (int)header.BlockCount, StoredBytes(section, header), (int)header.BlockSize);
            return new UkFilesContents(items, executable, (int)header.Size, dataBytes, header.ModifiedTime, summary);
        }

        private static UkFilesBlock Block(ReadOnlySpan<byte> section, UkFilesHeader header, int index) =>
            MemoryMarshal.Read<UkFilesBlock>(section[(int)(header.BlockTableOffset + (ulong)UkFilesFormat.BlockRecordSize * (uint)index)..]);

        private static long StoredBytes(ReadOnlySpan<byte> section, UkFilesHeader header)
        {
            long stored = 0;
            for (int b = 0; b < header.BlockCount; b++) stored += Block(section, header, b).StoredSize;
            return stored;
        }

        // The packed stream, every block expanded and checked as the kernel checks it.
        private static unsafe byte[] ExpandPackedStream(ReadOnlySpan<byte> section, UkFilesHeader header)
        {
            if (header.BlockCount == 0) return [];
            string name = UkFilesFormat.SectionName;
            if (header.Codec != UkFilesFormat.CodecLz4Block)
                throw new InvalidDataException($"{name}'s packed blocks use codec {header.Codec}, not LZ4 ({UkFilesFormat.CodecLz4Block})");
            if (header.BlockSize == 0 || header.BlockTableOffset + (ulong)UkFilesFormat.BlockRecordSize * header.BlockCount > header.Size)
                throw new InvalidDataException($"{name}'s block table does not fit the section");
            var stream = new byte[checked((long)header.BlockSize * (header.BlockCount - 1) + Block(section, header, (int)header.BlockCount - 1).ExpandedSize)];
            for (int b = 0; b < header.BlockCount; b++)
            {
                UkFilesBlock block = Block(section, header, b);
                uint expected = b + 1 < header.BlockCount ? header.BlockSize : block.ExpandedSize;
                if (block.ExpandedSize != expected || block.ExpandedSize > header.BlockSize || (ulong)block.DataOffset + block.StoredSize > header.Size)
                    throw new InvalidDataException($"{name} block {b} (table offset {header.BlockTableOffset + UkFilesFormat.BlockRecordSize * b}) lies outside the section or has the wrong size");
                long written;
                fixed (byte* source = section.Slice((int)block.DataOffset, (int)block.StoredSize))
                fixed (byte* destination = stream.AsSpan((int)((long)b * header.BlockSize), (int)block.ExpandedSize))
                    written = Lz4BlockDecoder.Decode(source, block.StoredSize, destination, block.ExpandedSize);
                if (written != block.ExpandedSize)
                    throw new InvalidDataException(written < 0
                        ? $"{name} block {b} is corrupt at offset {block.DataOffset + (ulong)(-1 - written)} of the section"
                        : $"{name} block {b} expands to {written} bytes, not {block.ExpandedSize}");
            }
            return stream;
        }

        // Byte-for-byte equality (no cryptographic hash: uk-ld runs as a static executable without OpenSSL).
        private sealed class ContentComparer : IEqualityComparer<byte[]>
        {
            public static readonly ContentComparer Instance = new();

            public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

            public int GetHashCode(byte[] bytes)
            {
                var hash = new HashCode();
                hash.AddBytes(bytes);
                return hash.ToHashCode();
            }
        }

        private static SortedDictionary<string, Node> NewChildren() => new(StringComparer.Ordinal);

        private sealed class Node(string name, uint mode, SortedDictionary<string, Node>? children)
        {
            public string Name { get; } = name;
            public uint Mode { get; } = mode;
            public SortedDictionary<string, Node>? Children { get; } = children;
            public byte[]? Data { get; init; }

            public Node Child(string name, string path)
            {
                if (!Children!.TryGetValue(name, out var child))
                    Children[name] = child = new Node(name, DirectoryMode, NewChildren());
                if (child.Children is null)
                    throw new ArgumentException($"image path '{path}' lies under '{name}', which is a file");
                return child;
            }
        }
    }
}
