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
        uint ModifiedTime = 0);

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
        public static byte[] Encode(IReadOnlyList<UkFilesItem> items, string? executablePath, uint modifiedTime = 0)
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

            // Files with the same bytes share them (tzdata's aliases, a zone copied to /etc/localtime).
            long dataStart = Align(namesStart + names.Length);
            var data = new MemoryStream();
            var shared = new Dictionary<byte[], long>(ContentComparer.Instance);
            var dataRefs = new long[ordered.Count];
            for (int i = 0; i < ordered.Count; i++)
            {
                if (ordered[i].Node.Data is not { } bytes)
                    continue;
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
            long size = dataStart + data.Length;
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
                    Mode = node.Mode,
                    NameOffset = nameRefs[i].Offset,
                    NameLength = nameRefs[i].Length,
                };
                MemoryMarshal.Write(section.AsSpan(UkFilesFormat.HeaderSize + UkFilesFormat.EntrySize * i), in entry);
            }
            names.ToArray().CopyTo(section, namesStart);
            data.ToArray().CopyTo(section, dataStart);
            return section;
        }

        private const string SectionBytesLimit = "4 GiB";

        private static long Align(long value) => (value + UkFilesFormat.DataAlignment - 1) & ~(long)(UkFilesFormat.DataAlignment - 1);

        /// <summary>Reads a section; throws <see cref="InvalidDataException"/> when it is not a well-formed one.</summary>
        public static UkFilesContents Decode(ReadOnlySpan<byte> section)
        {
            if (section.Length < UkFilesFormat.HeaderSize)
                throw new InvalidDataException($"{UkFilesFormat.SectionName} is shorter than its header");
            var header = MemoryMarshal.Read<UkFilesHeader>(section);
            if (header.Magic != UkFilesFormat.Magic)
                throw new InvalidDataException($"{UkFilesFormat.SectionName} has the wrong magic");
            if (header.Size > section.Length || header.EntrySize < UkFilesFormat.EntrySize || header.EntryCount == 0 ||
                header.EntriesOffset + (ulong)header.EntrySize * header.EntryCount > header.Size)
                throw new InvalidDataException($"{UkFilesFormat.SectionName}'s header does not fit its size");
            section = section[..(int)header.Size];
            var paths = new string[header.EntryCount];
            var items = new List<UkFilesItem>();
            var offsets = new HashSet<ulong>();
            long dataBytes = 0;
            for (int i = 0; i < header.EntryCount; i++)
            {
                var entry = MemoryMarshal.Read<UkFilesEntry>(section[(int)(header.EntriesOffset + header.EntrySize * (uint)i)..]);
                if ((ulong)entry.NameOffset + entry.NameLength > header.Size || entry.DataOffset + entry.Size > header.Size)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} record {i} points outside the section");
                if (i > 0 && entry.Parent >= i)
                    throw new InvalidDataException($"{UkFilesFormat.SectionName} record {i} comes before its parent");
                string name = Encoding.UTF8.GetString(section.Slice((int)entry.NameOffset, (int)entry.NameLength));
                paths[i] = i == 0 ? "/" : (entry.Parent == 0 ? "/" : paths[entry.Parent] + "/") + name;
                byte[] data = section.Slice((int)entry.DataOffset, (int)entry.Size).ToArray();
                if (entry.Size > 0 && offsets.Add(entry.DataOffset))
                    dataBytes += (long)entry.Size;
                items.Add(new UkFilesItem(paths[i], entry.Mode, data));
            }
            string? executable = header.ExecutableEntry == UkFilesFormat.NoEntry ? null
                : header.ExecutableEntry < header.EntryCount ? paths[header.ExecutableEntry]
                : throw new InvalidDataException($"{UkFilesFormat.SectionName}'s executable record is out of range");
            return new UkFilesContents(items, executable, (int)header.Size, dataBytes, header.ModifiedTime);
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
