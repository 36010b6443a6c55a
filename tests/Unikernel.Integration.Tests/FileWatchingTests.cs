using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// inotify through .NET's FileSystemWatcher (samples/conformance, mode file-watcher): create, write, append, rename,
/// mkdir, delete and rmdir in a watched directory on tmpfs give the same events in the image as on Linux.
/// </summary>
public class FileWatchingTests
{
    private const string App = "conformance";

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task AFileSystemWatcherSeesWhatItSeesOnLinux(MachineKind machine)
    {
        var linux = AppImages.RunOnLinux(App, ["file-watcher"]);
        var guest = await AppImages.BootAsync(App, machine, ["file-watcher"], memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Equal(
        [
            "watcher: create a.txt: created a.txt, changed a.txt",   // FileMode.Create also calls ftruncate(0): IN_MODIFY
            "watcher: write a.txt: changed a.txt",
            "watcher: append a.txt: changed a.txt",
            "watcher: rename a.txt to b.txt: renamed a.txt -> b.txt",
            "watcher: mkdir sub: created sub",
            "watcher: delete b.txt: deleted b.txt",
            "watcher: rmdir sub: deleted sub",
            "watcher: no events once disabled: True",
        ], linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }
}
