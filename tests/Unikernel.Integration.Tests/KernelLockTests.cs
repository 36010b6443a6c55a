using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The kernel lock and its checked mode (uk.debug.locks=1, docs/architecture.md "Locking"): the self-test holds the
/// lock through boot and across a nested entry, then uses the heap without it, which the checked mode must refuse
/// with a panic that names the heap. With two vCPUs the other CPU waits for the lock meanwhile (and takes it when the
/// test lets go), so the owner the report names is that CPU or none.
/// </summary>
public class KernelLockTests
{
    private const int PanicStatus = 70;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task TheCheckedModeCatchesTheHeapUsedWithoutTheLock(int cpus)
    {
        string[] smp = cpus == 1 ? [] : ["-smp", cpus.ToString(), "-accel", "tcg,thread=multi"];
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, MachineKind.Microvm, "uk.selftest=locks uk.debug.locks=1",
                                                  qemuArguments: smp);

        Assert.False(result.TimedOut, result.Console);
        Assert.Contains("uk: selftest locks: held through boot, re-entered by a breakpoint and still held once (ok)", result.Console);
        Assert.Matches(@"uk: lock check: CPU 0 touches the kernel heap without the kernel lock \(owner: (none|CPU 1)\)", result.Console);
        Assert.Contains("uk: panic: locking discipline violated (uk.debug.locks)", result.Console);
        Assert.Contains("LockSelfTest", result.Console);   // the stack trace names the offender
        Assert.DoesNotContain("selftest FAILED", result.Console);
        Assert.Equal(PanicStatus, result.ExitStatus);
    }
}
