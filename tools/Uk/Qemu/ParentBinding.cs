namespace Unikernel.Tools.Qemu;

/// <summary>
/// How uk makes sure QEMU never outlives it (QemuOptions.BoundToParent). QEMU is started as
/// <c>setpriv --pdeathsig KILL -- setsid -- qemu-system-x86_64 ...</c> (util-linux, present on every Debian system):
/// setpriv sets PR_SET_PDEATHSIG, which survives the two execs, so the kernel sends QEMU SIGKILL when uk's thread that
/// started it ends -- also when uk itself is killed with SIGKILL, where no handler of uk's could run. setsid puts QEMU in
/// a session of its own (setsid(1) forks only when the caller leads its process group, which a child of uk never does,
/// so the pid and the death signal stay QEMU's): a Ctrl-C in the terminal then reaches uk alone, which turns it into a
/// shutdown request (GuestStopper) instead of QEMU dying on SIGINT at once.
/// </summary>
public static class ParentBinding
{
    public const string SetPriv = "setpriv";

    public static IReadOnlyList<string> Prefix(string qemuExecutable) => ["--pdeathsig", "KILL", "--", "setsid", "--", qemuExecutable];
}
