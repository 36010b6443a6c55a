using Kernel.Console;
using Kernel.Platform;
using Unikernel.Formats;

namespace Kernel.Files.Image
{
    // The image's read-only file system (uk_files, formats/UkFilesFormat.cs), which the linker packs after uk_ksyms:
    // the app's publish folder at /app, the executable at /app/NAME, and any other UnikernelFile (time zones,
    // certificates). Its directories merge into the read-only root; its files read from the image's pages.
    //
    // Where the kernel makes a file itself (/etc/hosts, /etc/resolv.conf, /proc, ...) the kernel's wins: those describe
    // this machine (its network configuration, its process), which an image built elsewhere cannot know. An image file
    // so hidden is reported at boot ("uk: files: PATH in the image is hidden by the kernel's"), never silently dropped;
    // the linker already refuses paths under the kernel's own mounts (/dev, /proc, /sys, /tmp).
    internal static unsafe class ImageFileSystem
    {
        private static byte* s_section;
        private static uint s_size;
        private static byte[] s_executablePath;
        private static SuperBlock s_fileSystem;

        public static bool IsAttached => s_section != null;

        /// <summary>/app/NAME when the image names its executable, else the bare /app of images without uk_files.</summary>
        public static byte[] ExecutablePath => s_executablePath ?? (s_executablePath = FileNames.FromString("/app"));

        /// <summary>Takes the section the loader placed (a kernel pointer to it); a malformed one is reported and ignored.</summary>
        public static void Attach(byte* section, ulong size)
        {
            if (size == 0) return;
            UkFilesHeader* header = (UkFilesHeader*)section;
            bool current = size >= UkFilesFormat.HeaderSize && header->Magic == UkFilesFormat.Magic;
            if (size < UkFilesFormat.HeaderSizeVersion1 || !(current || header->Magic == UkFilesFormat.MagicVersion1) ||
                header->Size > size || header->EntrySize < UkFilesFormat.EntrySize || header->EntryCount == 0 ||
                header->EntriesOffset < (current ? UkFilesFormat.HeaderSize : UkFilesFormat.HeaderSizeVersion1) ||
                header->EntriesOffset + (ulong)header->EntrySize * header->EntryCount > header->Size ||
                !PackedBlocks.Attach(section, header->Size))
            {
                KernelConsole.Prefix();
                KernelConsole.WriteLine("files: the image's uk_files section is malformed; it is not mounted");
                return;
            }
            s_section = section;
            s_size = header->Size;
            uint executable = header->ExecutableEntry;
            if (executable < header->EntryCount) s_executablePath = PathOf(executable);
        }

        private static UkFilesHeader* Header => (UkFilesHeader*)s_section;

        private static UkFilesEntry* Entry(uint index) =>
            (UkFilesEntry*)(s_section + Header->EntriesOffset + (ulong)Header->EntrySize * index);

        // An entry is usable when its name and data lie inside the section and its parent comes before it.
        private static bool IsValid(uint index)
        {
            UkFilesEntry* e = Entry(index);
            // A packed file's extent is in the packed stream, any other entry's in the section.
            bool packed = (e->Mode & UkFilesFormat.ModePacked) != 0;
            if (packed && (e->Mode & UkFilesFormat.TypeMask) != UkFilesFormat.TypeRegular) return false;
            ulong limit = packed ? PackedBlocks.StreamSize : s_size;
            if ((ulong)e->NameOffset + e->NameLength > s_size || e->DataOffset > limit || e->Size > limit - e->DataOffset) return false;
            if (e->NameLength == 0 || e->NameLength > UkFilesFormat.NameMax) return index == 0;
            return e->Parent < index;
        }

        private static byte[] PathOf(uint index)
        {
            int length = 0;
            for (uint i = index; i != 0; i = Entry(i)->Parent)
            {
                if (!IsValid(i)) return null;
                length += 1 + (int)Entry(i)->NameLength;
            }
            var path = new byte[length];
            int end = length;
            for (uint i = index; i != 0; i = Entry(i)->Parent)
            {
                UkFilesEntry* e = Entry(i);
                end -= (int)e->NameLength;
                for (int k = 0; k < (int)e->NameLength; k++) path[end + k] = s_section[e->NameOffset + k];
                path[--end] = (byte)'/';
            }
            return path;
        }

        // Whether entry `index` is at `path`, compared name by name from the end without building the entry's path:
        // most entries differ in their own name, so the scan over all of them (at every boot, for /etc/uk/environ)
        // costs a few instructions each instead of an allocation (it was 20% of hello's boot instructions).
        private static bool HasPath(uint index, string path)
        {
            int end = path.Length;
            for (uint i = index; i != 0; i = Entry(i)->Parent)
            {
                if (!IsValid(i)) return false;
                UkFilesEntry* e = Entry(i);
                int length = (int)e->NameLength;
                int start = end - length;
                if (start < 1 || path[start - 1] != '/') return false;
                for (int k = 0; k < length; k++) if (path[start + k] != s_section[e->NameOffset + k]) return false;
                end = start - 1;
            }
            return end == 0;
        }

        /// <summary>The bytes of the regular file at <paramref name="path"/> (absolute, ASCII) in the image, read in
        /// place, or null; a packed file is not found here (the linker never packs /etc/uk/environ, what boot reads).</summary>
        public static byte* FindFile(string path, out ulong size)
        {
            size = 0;
            if (s_section == null) return null;
            // Only entries whose own name is as long as the path's last one are compared further.
            int last = path.Length;
            while (last > 0 && path[last - 1] != '/') last--;
            uint lastLength = (uint)(path.Length - last);
            uint count = Header->EntryCount, step = Header->EntrySize;
            byte* record = s_section + Header->EntriesOffset + step;
            for (uint i = 1; i < count; i++, record += step)
            {
                UkFilesEntry* e = (UkFilesEntry*)record;
                if (e->NameLength != lastLength || (e->Mode & (UkFilesFormat.TypeMask | UkFilesFormat.ModePacked)) != UkFilesFormat.TypeRegular) continue;
                if (!HasPath(i, path)) continue;
                size = Entry(i)->Size;
                return s_section + Entry(i)->DataOffset;
            }
            return null;
        }

        /// <summary>
        /// Links the image's entries into <paramref name="root"/>, as nodes of <paramref name="fileSystem"/>; returns
        /// the directory holding the executable (the app's working directory), or null.
        /// </summary>
        public static DirectoryNode Mount(DirectoryNode root, SuperBlock fileSystem)
        {
            if (s_section == null) return null;
            s_fileSystem = fileSystem;
            uint count = Header->EntryCount;
            // Only the kernel's directories that the image's merge into (the root, /etc) are filled now: their entries
            // decide what the kernel's own hide, reported at boot. A directory only the image has is filled on its
            // first use (ImageDirectory), so a boot builds no nodes for the files it never looks at: eagerly, tzdata's
            // ~1,000 nodes were 320,000 of hello's 2 million boot instructions.
            var merged = new DirectoryNode[count];
            merged[0] = root;
            uint step = Header->EntrySize;
            byte* record = s_section + Header->EntriesOffset;
            for (uint i = 1; i < count; i++)
            {
                record += step;
                uint parentIndex = ((UkFilesEntry*)record)->Parent;
                if (parentIndex >= i) { Report(i, "is malformed and not mounted"); continue; }
                DirectoryNode parent = merged[parentIndex];
                if (parent == null) continue;   // under a directory filled on first use, or not mounted (reported there)
                VfsNode node = Link(parent, i, false);
                var directory = node as DirectoryNode;
                if (directory != null && directory.Filler == null) merged[i] = directory;
            }
            FileMemory.Release(merged);
            // The app's folder is looked up (and so filled) now: the app starts there.
            uint executable = Header->ExecutableEntry;
            var program = executable < count ? NodeOf(executable, root) as ImageFileNode : null;
            return program != null ? program.Parent : null;
        }

        /// <summary>Links the image's entries in the directory of entry <paramref name="index"/> (ImageDirectory).</summary>
        public static void Fill(DirectoryNode directory, uint index)
        {
            // The directory's times stay the image's (its entries' Attach would make them now).
            FileTime modified = directory.ModifiedTime, changed = directory.ChangedTime;
            uint count = Header->EntryCount, step = Header->EntrySize;
            // A parent precedes its entries; the format's depth-first order is not relied on, as the eager mount did not.
            byte* record = (byte*)Entry(index);
            for (uint i = index + 1; i < count; i++)
            {
                record += step;
                if (((UkFilesEntry*)record)->Parent == index) Link(directory, i, true);
            }
            directory.ModifiedTime = modified;
            directory.ChangedTime = changed;
        }

        // Links entry `index` into `parent`: a new node, or the kernel's directory of that name it merges into; null
        // when it is not mounted (reported). `imageOnly`: the parent holds only the image's entries, which the format
        // lists sorted by name, so a name after the last one attached there cannot be taken and the linear Find
        // (quadratic over a directory of 600 files) is needed only where the kernel's own entries are or the image
        // breaks its order.
        private static VfsNode Link(DirectoryNode parent, uint index, bool imageOnly)
        {
            if (!IsValid(index)) { Report(index, "is malformed and not mounted"); return null; }
            UkFilesEntry* e = Entry(index);
            byte* name = s_section + e->NameOffset;
            int nameLength = (int)e->NameLength;
            uint type = e->Mode & UkFilesFormat.TypeMask;
            VfsNode existing = imageOnly && SortsAfter(name, nameLength, parent.LastChild) ? null : parent.Find(name, nameLength);
            if (existing != null)
            {
                if (type == UkFilesFormat.TypeDirectory && existing.IsDirectory && existing.FileSystem == s_fileSystem) return existing;
                Report(index, "is hidden by the kernel's");
                return null;
            }
            VfsNode node = Create(e, type, index);
            if (node == null) { Report(index, "could not be mounted (no memory)"); return null; }
            node.AccessTime = node.ModifiedTime = node.ChangedTime = new FileTime(Header->ModifiedTime, 0);
            parent.Attach(node, FileNames.FromBytes(name, nameLength));
            return node;
        }

        // The node of entry `index`, looked up from the root through the directories (filling them); null when it or a
        // directory above it is not mounted.
        private static VfsNode NodeOf(uint index, DirectoryNode root)
        {
            if (index == 0) return root;
            if (!IsValid(index)) return null;
            var parent = NodeOf(Entry(index)->Parent, root) as DirectoryNode;
            if (parent == null) return null;
            UkFilesEntry* e = Entry(index);
            return parent.Find(s_section + e->NameOffset, (int)e->NameLength);
        }

        // Ordinal (byte-wise) order, as the format sorts names; true when there is no entry yet.
        private static bool SortsAfter(byte* name, int length, VfsNode last)
        {
            if (last == null) return true;
            byte[] other = last.Name;
            if (other == null) return false;
            int common = length < other.Length ? length : other.Length;
            for (int k = 0; k < common; k++)
                if (name[k] != other[k]) return name[k] > other[k];
            return length > other.Length;
        }

        private static VfsNode Create(UkFilesEntry* e, uint type, uint index)
        {
            SuperBlock fileSystem = s_fileSystem;
            byte* data = s_section + e->DataOffset;
            if (type == UkFilesFormat.TypeDirectory)
            {
                var directory = new DirectoryNode(fileSystem, e->Mode);
                directory.Filler = new ImageDirectory(index);
                return directory;
            }
            if (type == UkFilesFormat.TypeSymlink) return SymlinkNode.Create(fileSystem, data, (int)e->Size);
            if ((e->Mode & UkFilesFormat.ModePacked) != 0) return new ImageFileNode(fileSystem, e->Mode, e->DataOffset, (long)e->Size);
            return new ImageFileNode(fileSystem, e->Mode, data, (long)e->Size);
        }

        private static void Report(uint index, string what)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("files: ");
            byte[] path = PathOf(index);
            if (path != null)
            {
                fixed (byte* p = path) KernelConsole.WriteEscaped(p, path.Length);
                FileMemory.Release(path);
            }
            else KernelConsole.Write("an entry");
            KernelConsole.Write(" in the image ");
            KernelConsole.WriteLine(what);
        }
    }
}
