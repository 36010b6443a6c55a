using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/sqlite: Microsoft.Data.Sqlite on Debian's libsqlite3.a, linked through UnikernelNativeLibrary and the glibc
/// compatibility shim (docs/native-libraries.md). A database file in /tmp, written, queried, committed, rolled back and
/// reopened: the same lines in the image as on Linux, so SQLite's file locking, journal, fsync and truncation behave alike.
/// </summary>
public class SqliteAppTests
{
    private const string App = "sqlite";

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task OutputAndExitStatusMatchLinux(MachineKind machine)
    {
        var linux = AppImages.RunOnLinux(App, []);
        var guest = await AppImages.BootAsync(App, machine, []);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Contains("reopened: 4 rows, integrity ok", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }
}
