namespace Kernel.Threads;

// The host build's blocking interface: no scheduler, so nothing ever parks. A call that would wait gets
// -EAGAIN, which is what the kernel's Blocking returns outside an app thread too (kernel self-tests).
internal sealed class WaitQueue
{
    public int Wakes;
    public void WakeAll() => Wakes++;
}

internal static class Blocking
{
    public static long WaitThenRestart(WaitQueue queue) => -LinuxAbi.Errno.EAGAIN;
    public static long WaitThenRestart(WaitQueue queue, ulong deadline, long timeoutResult) => -LinuxAbi.Errno.EAGAIN;
    public static ulong DeadlineAfter(ulong timeoutNanoseconds) => timeoutNanoseconds;
}
