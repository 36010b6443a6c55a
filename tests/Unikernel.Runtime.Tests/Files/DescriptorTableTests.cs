using Kernel.Files;

namespace Unikernel.Runtime.Tests.Files;

public sealed class DescriptorTableTests : VfsTestBase
{
    private static OpenFile NewFile() => OpenOk("/tmp/f", Creat | RdWr);

    [Fact]
    public void LowestFreeDescriptorFirst()
    {
        var table = new FileDescriptorTable();
        OpenFile file = NewFile();
        Assert.Equal(0, table.Install(file, false));
        file.Retain(); Assert.Equal(1, table.Install(file, false));
        file.Retain(); Assert.Equal(2, table.Install(file, true));
        Assert.Equal(0, table.Close(1));
        file.Retain(); Assert.Equal(1, table.Install(file, false));
        file.Retain(); Assert.Equal(10, table.Install(file, false, 10));
        Assert.True(table.IsCloseOnExec(2));
        Assert.False(table.IsCloseOnExec(1));
        Assert.Equal(4, file.References);                 // one per descriptor
        table.CloseAll();
        Assert.Equal(0, table.OpenCount);
    }

    [Fact]
    public void TheLimitGivesEmfileAndEinval()
    {
        var table = new FileDescriptorTable();
        Assert.Equal(0, table.SetLimit(4));
        OpenFile file = NewFile();
        for (int i = 0; i < 4; i++) { file.Retain(); Assert.Equal(i, table.Install(file, false)); }
        Assert.Equal(E(EMFILE), table.Install(file, false));
        Assert.Equal(E(EMFILE), table.Duplicate(0, 0, false));
        Assert.Equal(E(EINVAL), table.Duplicate(0, 4, false));     // F_DUPFD at or past RLIMIT_NOFILE
        Assert.Equal(E(EBADF), table.InstallAt(4, file, false));    // dup2 past the limit
        Assert.Equal(E(EPERM), table.SetLimit(FileDescriptorTable.MaxLimit + 1));
        Assert.Equal(5, file.References);                            // nothing leaked a reference
        table.CloseAll();
        Assert.Equal(1, file.References);
        file.Release();
    }

    [Fact]
    public void GrowsPastItsInitialSlots()
    {
        var table = new FileDescriptorTable();
        OpenFile file = NewFile();
        for (int i = 0; i < 200; i++) { file.Retain(); Assert.Equal(i, table.Install(file, false)); }
        Assert.Same(file, table.Get(199));
        Assert.Null(table.Get(200));
        Assert.Null(table.Get(-1));
        Assert.Equal(200, table.OpenCount);
        table.CloseAll();
        file.Release();
    }

    [Fact]
    public void Dup2ReplacesAndSharesTheDescription()
    {
        var table = new FileDescriptorTable();
        OpenFile a = NewFile(), b = OpenOk("/tmp/g", Creat | RdWr);
        table.Install(a, false);
        table.Install(b, false);
        Assert.Equal(1, table.InstallAt(1, a, true));   // b's only descriptor: b is closed
        Assert.Same(a, table.Get(1));
        Assert.True(table.IsCloseOnExec(1));
        Assert.Equal(2, a.References);
        Assert.Equal(0, b.References);
        a.Offset = 5;
        Assert.Equal(5, table.Get(0)!.Offset);           // one description, one offset
        Assert.Equal(E(EBADF), table.Close(7));
        table.CloseAll();
    }
}
