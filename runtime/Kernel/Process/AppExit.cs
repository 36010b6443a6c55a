using Kernel.Arch;
using Kernel.Files;
using Kernel.Net;

namespace Kernel.Process
{
    // The end of the app -- exit_group, its last thread's exit, or a fatal signal -- handled as Linux ends a
    // process before the VM powers off: every descriptor is closed (a socket sends its FIN, or a RST when the
    // app left data unread), then the network stack runs until the peers have what TCP still held. Kernel
    // failures (panics) power off directly: the kernel's own state is not to be trusted then.
    internal static class AppExit
    {
        public static void Exit(int status)
        {
            if (Vfs.Descriptors != null) Vfs.Descriptors.CloseAll();
            Logs.LogShipper.FlushBeforePowerOff(status);   // the one place shipped logs are flushed (uk.log.*)
            NetworkStack.DeliverBeforePowerOff();
            Threads.LockChecks.Report();
            TlbShootdown.Report();
            Machine.Exit(status);
        }
    }
}
