using System.Runtime.InteropServices;
using System.Text;
using Kernel.Console;
using Kernel.Files;
using Kernel.Files.Image;
using Kernel.LinuxAbi;
using Unikernel.Formats;

namespace Unikernel.Runtime.Tests.Files;

// The image's file system mounted from a uk_files section built here: directories only the image has are filled on
// their first use, and must then look exactly as if they had been filled at mount (entries, order, st_nlink, st_size,
// times); the kernel's own entries still hide the image's at mount.
public sealed unsafe class ImageFileSystemTests : VfsTestBase, IDisposable
{
    private const uint ImageTime = 1_600_000_000;
    private byte* _section;

    // Depth-first, each directory's entries sorted, as uk-ld writes them: (parent, name, mode, content).
    private static readonly (uint Parent, string Name, uint Mode, string Content)[] Records =
    [
        (0, "", 0x41ED, null),                 // 0 /
        (0, "app", 0x41ED, null),              // 1 /app
        (1, "data", 0x41ED, null),             // 2 /app/data
        (2, "a.txt", 0x81A4, "alpha"),         // 3 /app/data/a.txt
        (2, "b.txt", 0x81A4, "beta"),          // 4 /app/data/b.txt
        (2, "sub", 0x41ED, null),              // 5 /app/data/sub
        (5, "c.txt", 0x81A4, "gamma"),         // 6 /app/data/sub/c.txt
        (1, "hello", 0x81ED, "ELF"),           // 7 /app/hello (the executable)
        (0, "tmp", 0x41ED, null),              // 8 /tmp: the kernel's tmpfs is there
        (8, "x", 0x81A4, "hidden"),            // 9 /tmp/x
    ];

    public ImageFileSystemTests()
    {
        KernelConsole.Output.Clear();
        _section = Build(out ulong size);
        ImageFileSystem.Attach(_section, size);
        DirectoryNode appDirectory = ImageFileSystem.Mount(Vfs.Root, Vfs.RootFileSystem);
        Assert.NotNull(appDirectory);
        Vfs.ChangeDirectory(appDirectory);
    }

    public void Dispose() => NativeMemory.Free(_section);

    [Fact]
    public void TheAppStartsInItsFolderAndFilesRead()
    {
        Assert.Equal("/app", Cwd());
        Assert.Equal("alpha", ReadAll(OpenOk("/app/data/a.txt", RdOnly)));
        Assert.Equal("gamma", ReadAll(OpenOk("data/sub/c.txt", RdOnly)));
        Assert.Equal(E(ENOENT), Open("/app/data/missing", RdOnly, out _));
    }

    [Fact]
    public void AnUnfilledDirectoryStatsAsAFilledOne()
    {
        // Nothing has looked into /app/data yet: stat is the first use.
        Assert.NotNull(((DirectoryNode)Child(Vfs.WorkingDirectory, "data")).Filler);
        Assert.Equal(0, Stat("/app/data", out LinuxStat st));
        Assert.Null(((DirectoryNode)Child(Vfs.WorkingDirectory, "data")).Filler);
        Assert.Equal(3UL, st.LinkCount);            // ".", its entry in /app, and sub's ".."
        Assert.Equal((3 + 2) * 20L, st.FileSize);   // three entries, "." and ".."
        Assert.Equal((long)ImageTime, st.ModifySeconds);
        Assert.Equal((long)ImageTime, st.ChangeSeconds);
        Assert.Equal(0, Stat("/app/data/sub/c.txt", out st));
        Assert.Equal(5L, st.FileSize);
        Assert.Equal((long)ImageTime, st.ModifySeconds);
    }

    [Fact]
    public void ListingsHaveTheImagesOrderOnce()
    {
        Assert.Equal(["a.txt", "b.txt", "sub"], Names("/app/data"));
        Assert.Equal(["a.txt", "b.txt", "sub"], Names("/app/data"));
        Assert.Equal(["c.txt"], Names("/app/data/sub"));
        Assert.Equal(["data", "hello"], Names("/app"));
    }

    [Fact]
    public void TheKernelsEntriesHideTheImagesAtMount()
    {
        Assert.Contains("uk: files: /tmp in the image is hidden by the kernel's\n", KernelConsole.Output.ToString());
        Assert.Equal(E(ENOENT), Open("/tmp/x", RdOnly, out _));
    }

    // The entry without a lookup (which would fill it).
    private static VfsNode Child(DirectoryNode directory, string name)
    {
        for (VfsNode child = directory.FirstAtOrAfter(DirectoryNode.FirstChildPosition); child != null; child = child.NextSibling)
            if (Encoding.ASCII.GetString(child.Name) == name) return child;
        return null;
    }

    private static string[] Names(string path)
    {
        DirectoryNode directory = Vfs.Root;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            byte[] name = Encoding.ASCII.GetBytes(part);
            fixed (byte* n = name) directory = (DirectoryNode)directory.Find(n, name.Length);
        }
        var names = new List<string>();
        for (VfsNode child = directory.FirstAtOrAfter(DirectoryNode.FirstChildPosition); child != null; child = child.NextSibling)
            names.Add(Encoding.ASCII.GetString(child.Name));
        return names.ToArray();
    }

    private static byte* Build(out ulong size)
    {
        var names = new List<byte>();
        var data = new List<byte>();
        uint entriesOffset = UkFilesFormat.HeaderSize;
        uint namesOffset = entriesOffset + (uint)(Records.Length * UkFilesFormat.EntrySize);
        uint namesLength = (uint)Records.Sum(r => r.Name.Length);
        uint dataOffset = (namesOffset + namesLength + 7) & ~7u;
        var entries = new UkFilesEntry[Records.Length];
        for (int i = 0; i < Records.Length; i++)
        {
            var r = Records[i];
            entries[i] = new UkFilesEntry { Parent = r.Parent, Mode = r.Mode, NameOffset = namesOffset + (uint)names.Count, NameLength = (uint)r.Name.Length };
            names.AddRange(Encoding.ASCII.GetBytes(r.Name));
            if (r.Content != null)
            {
                entries[i].DataOffset = dataOffset + (uint)data.Count;
                entries[i].Size = (ulong)r.Content.Length;
                data.AddRange(Encoding.ASCII.GetBytes(r.Content));
                while (data.Count % UkFilesFormat.DataAlignment != 0) data.Add(0);
            }
        }
        size = dataOffset + (ulong)data.Count;
        byte* section = (byte*)NativeMemory.AllocZeroed((nuint)size);
        *(UkFilesHeader*)section = new UkFilesHeader
        {
            Magic = UkFilesFormat.Magic, Size = (uint)size, EntryCount = (uint)Records.Length, EntriesOffset = entriesOffset,
            EntrySize = UkFilesFormat.EntrySize, ExecutableEntry = 7, ModifiedTime = ImageTime,
        };
        for (int i = 0; i < entries.Length; i++) ((UkFilesEntry*)(section + entriesOffset))[i] = entries[i];
        for (int i = 0; i < names.Count; i++) section[namesOffset + i] = names[i];
        for (int i = 0; i < data.Count; i++) section[dataOffset + i] = data[i];
        return section;
    }
}
