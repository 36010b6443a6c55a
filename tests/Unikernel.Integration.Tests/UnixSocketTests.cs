using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// AF_UNIX sockets: `netecho unix` (samples/netecho/UnixSockets.cs) through .NET's Socket API and libc's socketpair,
/// sendmsg and recvmsg -- a stream echo over a path in /tmp with the epoll engine, the names and sockaddr lengths each
/// side reports, abstract names, datagrams, seqpacket, shutdown and reset, SO_PEERCRED and SCM_RIGHTS -- must print
/// what the same executable prints on Linux, line by line.
/// </summary>
public class UnixSocketTests
{
    private const string App = "netecho";

    [Fact]
    public async Task UnixSocketsBehaveAsOnLinux()
    {
        var linux = AppImages.RunOnLinux(App, ["unix"]);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["unix"]);

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Contains("unix: done", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }
}
