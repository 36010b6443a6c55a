using System.Buffers.Binary;
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

    public const ulong Alloc = 2, Write = 1, Exec = 4;

    public byte[] Build()
    {
        var sections = new List<Section>(Sections);
        if (PvhNote)
        {
            var note = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(note, 4);
            BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), 8);
            BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), 18);
            "Xen\0"u8.CopyTo(note.AsSpan(12));
            BinaryPrimitives.WriteUInt64LittleEndian(note.AsSpan(16), Entry);
            sections.Insert(0, new Section(".note.Xen", 0x0FF000, note, Alloc, Type: 7));
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
            var h = sh.AsSpan(64 * (i + 1));
            BinaryPrimitives.WriteUInt32LittleEndian(h, nameOffsets[s]);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(h[16..], s.Address);
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], (ulong)(s == shstrtab ? shstrtabOffset : offsets[s]));
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], s == shstrtab ? (ulong)names.Length : s.Type == 8 ? s.MemorySize : (ulong)s.Bytes.Length);
        }
        data.Write(sh);
        var file = data.ToArray();
        var f = file.AsSpan();
        "\u007fELF"u8.CopyTo(f);
        f[4] = 2; f[5] = 1; f[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(f[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(f[18..], 0x3E);
        BinaryPrimitives.WriteUInt32LittleEndian(f[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(f[24..], Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(f[32..], 64);
        BinaryPrimitives.WriteUInt64LittleEndian(f[40..], (ulong)shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(f[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(f[56..], (ushort)phnum);
        BinaryPrimitives.WriteUInt16LittleEndian(f[58..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f[60..], (ushort)(all.Count + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(f[62..], (ushort)all.Count);
        int ph = 0;
        void Phdr(uint type, uint flags, long offset, ulong address, ulong fileSize, ulong memSize, ulong align)
        {
            var p = file.AsSpan(64 + 56 * ph++, 56);
            BinaryPrimitives.WriteUInt32LittleEndian(p, type);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], address);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], address);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], fileSize);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], memSize);
            BinaryPrimitives.WriteUInt64LittleEndian(p[48..], align);
        }
        foreach (var s in alloc)
        {
            uint flags = 4 | ((s.Flags & Write) != 0 ? 2u : 0) | ((s.Flags & Exec) != 0 ? 1u : 0);
            ulong fileSize = s.Type == 8 ? 0 : (ulong)s.Bytes.Length;
            Phdr(1, flags, offsets[s], s.Address, fileSize, s.Type == 8 ? s.MemorySize : fileSize, 16);
        }
        for (int i = 0; i < Segments.Count; i++)
            Phdr(1, Segments[i].Flags, segmentOffsets[i], Segments[i].Address, (ulong)Segments[i].Bytes.Length,
                 Math.Max(Segments[i].MemorySize, (ulong)Segments[i].Bytes.Length), 4096);
        if (PvhNote)
        {
            var note = sections[0];
            Phdr(4, 4, offsets[note], note.Address, (ulong)note.Bytes.Length, (ulong)note.Bytes.Length, 4);
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
