using System.Text;
using Kernel.Files;

namespace Unikernel.Runtime.Tests.Files;

public sealed unsafe class PathWalkerTests : VfsTestBase
{
    private static long Resolve(string path, bool follow, out PathLookup lookup, DirectoryNode? start = null)
    {
        fixed (byte* p = Bytes(path)) return PathWalker.Resolve(Vfs.Root, start ?? Vfs.WorkingDirectory, p, path.Length, follow, out lookup);
    }

    private static VfsNode? NodeAt(string path, bool follow = true)
    {
        Assert.Equal(0, Resolve(path, follow, out PathLookup lookup));
        return lookup.Node;
    }

    private static string NameOf(PathLookup lookup) => Encoding.ASCII.GetString(lookup.Name, lookup.NameLength);

    public PathWalkerTests()
    {
        // /tmp/a/b (directories), /tmp/a/f (file), /tmp/up -> .. (relative link), /tmp/abs -> /tmp/a
        Assert.Equal(0, MakeDirectory("/tmp/a"));
        Assert.Equal(0, MakeDirectory("/tmp/a/b"));
        OpenOk("/tmp/a/f", Creat | WrOnly).Release();
        Assert.Equal(0, Symlink("..", "/tmp/a/up"));
        Assert.Equal(0, Symlink("/tmp/a", "/tmp/abs"));
    }

    [Fact]
    public void RootAndSlashesOnly()
    {
        Assert.Equal(0, Resolve("/", true, out PathLookup lookup));
        Assert.True(lookup.IsRoot);
        Assert.Same(Vfs.Root, lookup.Node);
        Assert.Same(Vfs.Root, NodeAt("////"));
    }

    [Fact]
    public void DotDotDotAndRepeatedSlashes()
    {
        VfsNode? b = NodeAt("/tmp/a/b");
        Assert.NotNull(b);
        Assert.Same(b, NodeAt("/tmp//a/./b/"));
        Assert.Same(b, NodeAt("/tmp/a/b/../b/."));
        Assert.Same(Vfs.Root, NodeAt("/.."));
        Assert.Same(Vfs.Root, NodeAt("/../../.."));
        Assert.Same(NodeAt("/tmp"), NodeAt("/tmp/a/b/../../"));
    }

    [Fact]
    public void RelativePathsStartAtTheGivenDirectory()
    {
        var a = (DirectoryNode)NodeAt("/tmp/a")!;
        Assert.Equal(0, Resolve("b", true, out PathLookup lookup, a));
        Assert.Same(NodeAt("/tmp/a/b"), lookup.Node);
        Assert.Same(a, lookup.Parent);
        Assert.Equal("b", NameOf(lookup));
        Assert.Equal(0, Resolve(".", true, out lookup, a));
        Assert.Same(a, lookup.Node);
        Assert.True(lookup.IsDot);
        Assert.Equal(0, Resolve("..", true, out lookup, a));
        Assert.True(lookup.IsDotDot);
        Assert.Same(NodeAt("/tmp"), lookup.Node);
    }

    [Fact]
    public void MissingLastComponentIsNotAnErrorButMissingMiddleIs()
    {
        Assert.Equal(0, Resolve("/tmp/a/new", true, out PathLookup lookup));
        Assert.Null(lookup.Node);
        Assert.Same(NodeAt("/tmp/a"), lookup.Parent);
        Assert.Equal("new", NameOf(lookup));
        Assert.False(lookup.TrailingSlash);
        Assert.Equal(0, Resolve("/tmp/a/new/", true, out lookup));
        Assert.True(lookup.TrailingSlash);
        Assert.Equal(E(ENOENT), Resolve("/tmp/none/x", true, out _));
        Assert.Equal(E(ENOENT), Resolve("", true, out _));
    }

    [Fact]
    public void FilesInTheMiddleOrWithATrailingSlashAreNotDirectories()
    {
        Assert.Equal(E(ENOTDIR), Resolve("/tmp/a/f/x", true, out _));
        Assert.Equal(E(ENOTDIR), Resolve("/tmp/a/f/", true, out _));
        Assert.Equal(E(ENOTDIR), Resolve("/tmp/a/f/.", true, out _));
        Assert.Equal(0, Resolve("/tmp/a/f", true, out _));
    }

    [Fact]
    public void ComponentLengthLimitIs255()
    {
        string ok = "/tmp/" + new string('n', 255);
        string tooLong = "/tmp/" + new string('n', 256);
        Assert.Equal(0, Resolve(ok, true, out PathLookup lookup));
        Assert.Null(lookup.Node);
        Assert.Equal(E(ENAMETOOLONG), Resolve(tooLong, true, out _));
        Assert.Equal(E(ENAMETOOLONG), Resolve(tooLong + "/x", true, out _));
    }

    [Fact]
    public void SymlinksInTheMiddleAreAlwaysFollowed()
    {
        Assert.Same(NodeAt("/tmp/a/b"), NodeAt("/tmp/abs/b", follow: false));
        // A relative target resolves from the link's directory: /tmp/a/up -> .. = /tmp.
        Assert.Same(NodeAt("/tmp"), NodeAt("/tmp/a/up/"));
        Assert.Same(NodeAt("/tmp/a/f"), NodeAt("/tmp/a/up/a/f"));
    }

    [Fact]
    public void TheLastSymlinkIsFollowedOnlyWhenAskedOrWithATrailingSlash()
    {
        VfsNode? link = NodeAt("/tmp/abs", follow: false);
        Assert.True(link!.IsSymlink);
        Assert.Same(NodeAt("/tmp/a"), NodeAt("/tmp/abs", follow: true));
        Assert.Same(NodeAt("/tmp/a"), NodeAt("/tmp/abs/", follow: false));
    }

    [Fact]
    public void DanglingLinkGivesTheTargetsParentAndName()
    {
        Assert.Equal(0, Symlink("newfile", "/tmp/a/dangling"));
        Assert.Equal(0, Resolve("/tmp/a/dangling", true, out PathLookup lookup));
        Assert.Null(lookup.Node);
        Assert.Same(NodeAt("/tmp/a"), lookup.Parent);
        Assert.Equal("newfile", NameOf(lookup));
    }

    [Fact]
    public void LinkLoopsStopAtForty()
    {
        Assert.Equal(0, Symlink("/tmp/loop2", "/tmp/loop1"));
        Assert.Equal(0, Symlink("/tmp/loop1", "/tmp/loop2"));
        Assert.Equal(E(ELOOP), Resolve("/tmp/loop1", true, out _));
        Assert.Equal(E(ELOOP), Resolve("/tmp/loop1/x", false, out _));
        Assert.Equal(0, Resolve("/tmp/loop1", false, out _));
        // A chain of exactly 40 links resolves; 41 do not.
        for (int i = 0; i < 41; i++) Assert.Equal(0, Symlink(i == 0 ? "/tmp/a" : $"/tmp/c{i - 1}", $"/tmp/c{i}"));
        Assert.Same(NodeAt("/tmp/a"), NodeAt("/tmp/c39"));
        Assert.Equal(E(ELOOP), Resolve("/tmp/c40", true, out _));
    }

    [Fact]
    public void ARemovedDirectoryHasNoEntries()
    {
        Assert.Equal(0, ChangeDirectory("/tmp/a/b"));
        Assert.Equal(0, RemoveDirectory("/tmp/a/b"));
        Assert.Equal(E(ENOENT), Resolve("..", true, out _));
        Assert.Equal(E(ENOENT), Resolve("x", true, out _));
        Assert.Equal(0, Resolve(".", true, out PathLookup lookup));
        Assert.Same(Vfs.WorkingDirectory, lookup.Node);
    }
}
