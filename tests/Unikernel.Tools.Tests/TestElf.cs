using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Unikernel.Formats;
using System.Text;

namespace Unikernel.Tools.Tests;

/// <summary>Writes small ELF64 files for the inspect tests: allocated sections each get a PT_LOAD; optional PVH note;
/// optional extra PT_LOADs without sections (as an embedded app's); non-allocated sections after them.</summary>
public sealed class TestElf
{
    public sealed record Section(string Name, ulong Address, byte[] Bytes, ulong Flags = 2, uint Type = 1, ulong MemorySize = 0);
    public sealed record RawSegment(ulong Address, byte[] Bytes, uint Flags, ulong MemorySize = 0);

    public List<Section> Sections { get; } = [];
    public List<RawSegment> Segments { get; } = [];
    public bool PvhNote { get; set; } = true;
    public ulong Entry { get; set; } = 0x100000;

    public const ulong Alloc = ElfConstants.SHF_ALLOC, Write = ElfConstants.SHF_WRITE, Exec = ElfConstants.SHF_EXECINSTR;

    public byte[] Build()
    {
        var sections = new List<Section>(Sections);
        if (PvhNote)
        {
            var note = new byte[24];
            var header = new Elf64NoteHeader { NameSize = 4, DescriptorSize = 8, Type = ElfConstants.XEN_ELFNOTE_PHYS32_ENTRY };
            MemoryMarshal.Write(note, in header);
            "Xen\0"u8.CopyTo(note.AsSpan(ElfConstants.NoteHeaderSize));
            BinaryPrimitives.WriteUInt64LittleEndian(note.AsSpan(16), Entry);
            sections.Insert(0, new Section(".note.Xen", 0x0FF000, note, Alloc, Type: ElfConstants.SHT_NOTE));
        }
        var alloc = sections.Where(s => (s.Flags & Alloc) != 0).ToList();
        int phnum = alloc.Count + Segments.Count + (PvhNote ? 1 : 0);
        var data = new MemoryStream();
        data.Write(new byte[64 + 56 * phnum]);
        var offsets = new Dictionary<Section, long>();
        void Place(Section s)
        {
            while (data.Length % 16 != 0) data.WriteByte(0);
            offsets[s] = data.Length;
            if (s.Type != 8) data.Write(s.Bytes);
        }
        foreach (var s in alloc) Place(s);
        var segmentOffsets = new List<long>();
        foreach (var seg in Segments)
        {
            while (data.Length % 4096 != (long)(seg.Address % 4096)) data.WriteByte(0);
            segmentOffsets.Add(data.Length);
            data.Write(seg.Bytes);
        }
        var names = new MemoryStream();
        names.WriteByte(0);
        var nameOffsets = new Dictionary<Section, uint>();
        var unalloc = sections.Where(s => (s.Flags & Alloc) == 0).ToList();
        var shstrtab = new Section(".shstrtab", 0, [], 0, Type: 3);
        foreach (var s in sections.Append(shstrtab))
        {
            nameOffsets[s] = (uint)names.Length;
            names.Write(Encoding.UTF8.GetBytes(s.Name));
            names.WriteByte(0);
        }
        foreach (var s in unalloc) Place(s);
        while (data.Length % 16 != 0) data.WriteByte(0);
        long shstrtabOffset = data.Length;
        data.Write(names.ToArray());
        while (data.Length % 8 != 0) data.WriteByte(0);
        long shoff = data.Length;
        var all = sections.Append(shstrtab).ToList();
        var sh = new byte[64 * (all.Count + 1)];
        for (int i = 0; i < all.Count; i++)
        {
            var s = all[i];
            var header = new Elf64SectionHeader
            {
                NameOffset = nameOffsets[s],
                Type = s.Type,
                Flags = s.Flags,
                Address = s.Address,
                Offset = (ulong)(s == shstrtab ? shstrtabOffset : offsets[s]),
                Size = s == shstrtab ? (ulong)names.Length : s.Type == ElfConstants.SHT_NOBITS ? s.MemorySize : (ulong)s.Bytes.Length,
            };
            MemoryMarshal.Write(sh.AsSpan(ElfConstants.SectionHeaderSize * (i + 1)), in header);
        }
        data.Write(sh);
        var file = data.ToArray();
        var elfHeader = Elf64Header.Executable(Entry, (ushort)phnum, (ulong)shoff, (ushort)(all.Count + 1), (ushort)all.Count);
        MemoryMarshal.Write(file, in elfHeader);
        int ph = 0;
        void Phdr(uint type, uint flags, long offset, ulong address, ulong fileSize, ulong memSize, ulong align)
        {
            var header = new Elf64ProgramHeader
            {
                Type = type, Flags = flags, Offset = (ulong)offset, VirtualAddress = address, PhysicalAddress = address,
                FileSize = fileSize, MemorySize = memSize, Alignment = align,
            };
            MemoryMarshal.Write(file.AsSpan(ElfConstants.ElfHeaderSize + ElfConstants.ProgramHeaderSize * ph++), in header);
        }
        foreach (var s in alloc)
        {
            uint flags = ElfConstants.PF_R | ((s.Flags & Write) != 0 ? ElfConstants.PF_W : 0) | ((s.Flags & Exec) != 0 ? ElfConstants.PF_X : 0);
            ulong fileSize = s.Type == ElfConstants.SHT_NOBITS ? 0 : (ulong)s.Bytes.Length;
            Phdr(ElfConstants.PT_LOAD, flags, offsets[s], s.Address, fileSize, s.Type == ElfConstants.SHT_NOBITS ? s.MemorySize : fileSize, 16);
        }
        for (int i = 0; i < Segments.Count; i++)
            Phdr(ElfConstants.PT_LOAD, Segments[i].Flags, segmentOffsets[i], Segments[i].Address, (ulong)Segments[i].Bytes.Length,
                 Math.Max(Segments[i].MemorySize, (ulong)Segments[i].Bytes.Length), 4096);
        if (PvhNote)
        {
            var note = sections[0];
            Phdr(ElfConstants.PT_NOTE, ElfConstants.PF_R, offsets[note], note.Address, (ulong)note.Bytes.Length, (ulong)note.Bytes.Length, 4);
        }
        return file;
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}

/// <summary>A temporary directory, deleted at dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("uk-tools-tests-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The repository's artifacts, when `make build` made them.</summary>
public static class Artifacts
{
    public static string? RepositoryRoot { get; } = FindRoot();

    public static string? Find(string relative)
    {
        if (RepositoryRoot is null) return null;
        string path = System.IO.Path.Combine(RepositoryRoot, relative);
        return File.Exists(path) ? path : null;
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        return null;
    }
}
