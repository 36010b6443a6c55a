using System.Text.RegularExpressions;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/hostile attacks the kernel from ring 3 (issue 12): every attack must end exactly as the table below says
/// (the user window is [4 MiB, 128 TiB), docs/architecture.md; errnos as on Linux with 4 MiB as mmap_min_addr), and
/// afterwards the kernel must still report the app's exit itself: its own "uk: exit status 0" line, the
/// isa-debug-exit status 0, no panic of its own, whatever "uk: " lines the app printed. The fuzzer runs a few
/// seeds in one boot and the kernel must survive them the same way (`make fuzz` runs more).
/// </summary>
public class HostileAppTests(HostileAppTests.AttackBoot boot) : IClassFixture<HostileAppTests.AttackBoot>
{
    private const string App = "hostile";
    private const string Segv = "SIGSEGV";

    /// <summary>Attack name -> the outcomes (first word of its line) that are right. One outcome unless noted.</summary>
    public static IReadOnlyDictionary<string, string[]> Expected { get; } = BuildExpected();

    /// <summary>
    /// Attacks whose outcome natively on Linux is not the image's, and why; every other attack must end the same way
    /// when the same executable runs on the build machine's Linux (the differential check).
    /// </summary>
    private static readonly Dictionary<string, string> DiffersOnLinux = new()
    {
        // Linux's mmap_min_addr is 64 KiB (and root may map below it); our user window starts at 4 MiB, so these
        // are ordinary free user addresses on Linux.
        ["mmap-fixed-page0"] = "root may map page 0 on Linux (CAP_SYS_RAWIO)",
        ["mmap-fixed-noreplace-page0"] = "root may map page 0 on Linux",
        ["mmap-fixed-64k"] = "Linux's mmap_min_addr is 64 KiB",
        ["mmap-fixed-kernel-image"] = "a free user address on Linux",
        ["mmap-fixed-kernel-image-end"] = "a free user address on Linux",
        ["mmap-fixed-noreplace-kernel-image"] = "a free user address on Linux",
        ["mmap-fixed-noreplace-across-user-base"] = "on Linux the page above is the executable's own (EEXIST)",
        ["mmap-hint-kernel-image"] = "Linux honours a hint at a free user address",
        ["mremap-to-kernel-image"] = "a free user address on Linux",
        ["munmap-page0"] = "Linux unmaps nothing and succeeds; our kernel refuses ranges outside the window",
        ["munmap-kernel-image"] = "Linux unmaps nothing and succeeds; our kernel refuses ranges outside the window",
        // UMIP: the build machine's CPU (or Linux's UMIP emulation) decides natively.
        ["sgdt"] = "UMIP on the host CPU", ["sidt"] = "UMIP on the host CPU", ["sldt"] = "UMIP on the host CPU",
        ["str"] = "UMIP on the host CPU", ["smsw"] = "UMIP on the host CPU",
    };

    private static Dictionary<string, string[]> BuildExpected()
    {
        var e = new Dictionary<string, string[]>();
        void Set(string outcome, params string[] names) { foreach (string n in names) e[n] = [outcome]; }

        foreach (string target in new[] { "page0", "kernel-image", "kernel-image-end", "upper-half", "upper-kernel-image", "upper-lapic",
                                          "lapic-physical", "ioapic-physical", "non-canonical-low", "non-canonical-high", "top-page" })
            Set(Segv, $"load-{target}", $"store-{target}");
        Set(Segv, "call-kernel-image", "call-upper-kernel-image", "call-non-canonical-low");
        Set(Segv, "hlt", "cli", "sti", "in-keyboard", "out-post-code", "in-debug-exit", "out-debug-exit", "lgdt", "lidt", "lldt", "ltr",
            "rdmsr-efer", "wrmsr-tsc-aux", "read-cr0", "read-cr3", "write-cr3", "write-cr4", "invlpg", "wbinvd", "clts", "swapgs",
            "int-page-fault-vector", "int-0x81");
        Set(Segv, "sgdt", "sidt", "sldt", "str", "smsw");   // UMIP: #GP
        Set("SIGTRAP", "int3");
        Set("SIGILL", "ud2");

        string[] pointerCalls =
        [
            "read-buf", "write-buf", "pread64-buf", "readv-iov", "readv-base", "writev-iov", "writev-base", "read-eventfd-buf",
            "open-path", "stat-path", "stat-buf", "fstat-buf", "access-path", "mkdir-path", "unlink-path", "chdir-path",
            "readlink-path", "getcwd-buf", "getdents64-buf", "uname-buf", "sysinfo-buf", "clock_gettime-buf", "clock_getres-buf",
            "gettimeofday-buf", "time-buf", "nanosleep-req", "pipe2-fds", "poll-fds", "select-readfds", "epoll_wait-events",
            "epoll_ctl-event", "rt_sigaction-act", "rt_sigaction-oldact", "rt_sigprocmask-set", "rt_sigprocmask-oldset",
            "rt_sigpending-set", "sigaltstack-new", "sigaltstack-old", "futex-wait-uaddr", "getrandom-buf", "getrlimit-buf",
            "prlimit64-new", "prlimit64-old", "getrusage-buf", "sched_getaffinity-mask", "getcpu-cpu", "arch_prctl-get-fs",
            "bind-addr", "connect-addr", "sendto-addr", "sendto-buf", "sendmsg-msghdr", "recvmsg-msghdr", "getsockname-addr",
            "getsockname-len", "setsockopt-val", "getsockopt-len",
        ];
        foreach (string call in pointerCalls)
            foreach (string target in new[] { "kernel-image", "upper-half", "non-canonical" })
                Set("EFAULT", $"ptr-{call}@{target}");

        Set("EPERM", "arch_prctl-set-fs-non-canonical-low", "arch_prctl-set-fs-non-canonical-high", "arch_prctl-set-fs-upper-half");
        Set("EINTR", "pause-woken-by-signal");

        Set("RESUMED", "sigreturn-valid-frame", "sigreturn-iopl3");   // Linux drops IOPL from a frame silently
        Set(Segv, "sigreturn-non-canonical-rip", "sigreturn-kernel-image-rip", "sigreturn-upper-half-rip");
        // Either refused with a SIGSEGV (Linux: IRET to selector 0x0b faults; fpstate unreadable) or sanitized: the
        // kernel resumes with the user code selector / without the bad FPU state. Never the kernel's CS, never a kernel fault.
        e["sigreturn-kernel-cs"] = [Segv, "RESUMED"];
        e["sigreturn-kernel-fpregs"] = [Segv, "RESUMED"];
        Set(Segv, "sigreturn-frame-at-kernel-image", "sigreturn-frame-at-upper-half", "sigreturn-frame-at-non-canonical");

        Set("PRINTED", "forged-uk-lines");

        Set("EPERM", "mmap-fixed-page0", "mmap-fixed-64k", "mmap-fixed-kernel-image", "mmap-fixed-kernel-image-end",
            "mmap-fixed-noreplace-across-user-base", "mmap-fixed-noreplace-kernel-image", "mmap-fixed-noreplace-page0");
        Set("ENOMEM", "mmap-fixed-upper-half", "mmap-fixed-upper-kernel-image", "mmap-fixed-noreplace-upper-half", "mmap-fixed-top-page",
            "mmap-fixed-non-canonical-low", "mmap-fixed-non-canonical-high", "mmap-fixed-across-user-limit", "mmap-fixed-length-overflow",
            "mmap-length-overflow", "mmap-length-wraps-to-zero");
        Set("IGNORED", "mmap-hint-kernel-image", "mmap-hint-upper-half", "mmap-hint-non-canonical");
        Set("EFAULT", "pipe-write-from-kernel-image", "pipe-read-into-kernel-image");
        Set("OK", "mmap-fixed-lapic-physical", "mmap-fixed-ioapic-physical");   // user addresses now: private zero pages

        foreach (string range in new[] { "page0", "kernel-image", "upper-half", "upper-kernel-image", "non-canonical-low", "non-canonical-high", "length-overflow" })
        {
            Set("ENOMEM", $"mprotect-{range}");
            // madvise of a wrapping range is EINVAL on Linux before any range check.
            Set(range == "length-overflow" ? "EINVAL" : "ENOMEM", $"madvise-dontneed-{range}", $"madvise-free-{range}");
            Set("EFAULT", $"mremap-{range}");
            Set("EINVAL", $"munmap-{range}");
        }
        Set("ENOMEM", "mprotect-across-user-base");
        Set("EPERM", "mremap-to-kernel-image");   // below mmap_min_addr, as mmap
        Set("EINVAL", "mremap-to-upper-half");
        Set("UNCHANGED", "brk-kernel-image", "brk-upper-half", "brk-non-canonical", "brk-top-page");
        Set("EINVAL", "munmap-across-user-limit", "munmap-wrapping");
        return e;
    }

    [Fact]
    public void EveryAttackEndsAsExpected()
    {
        var outcomes = boot.Outcomes;
        var wrong = new List<string>();
        foreach (var (name, accepted) in Expected)
        {
            if (!outcomes.TryGetValue(name, out string? line)) wrong.Add($"{name}: no outcome (expected {string.Join(" or ", accepted)})");
            else if (!accepted.Contains(FirstWord(line))) wrong.Add($"{name}: {line} (expected {string.Join(" or ", accepted)})");
        }
        foreach (string name in outcomes.Keys.Where(n => !Expected.ContainsKey(n)))
            wrong.Add($"{name}: {outcomes[name]} (an attack the table does not know)");

        Assert.True(wrong.Count == 0,
            $"{wrong.Count} of {Expected.Count} attacks ended wrongly{boot.CrashNote}:\n  {string.Join("\n  ", wrong)}");
    }

    [Fact]
    public void TheKernelReportsTheExitItselfAfterTheAttacks()
    {
        var guest = boot.Guest;
        string console = guest.Console.Replace("\r", "");
        var lines = WithoutKernelInterruptions(console.Split('\n')).ToArray();

        Assert.False(guest.TimedOut, $"the guest timed out{boot.CrashNote}\n{Tail(console)}");
        Assert.True(lines.Contains($"hostile: {Expected.Count} attacks done"), $"the attacks did not all run{boot.CrashNote}");
        // The app's fault handler sat in front of the runtime's during the attacks and passed other faults on.
        Assert.Contains("hostile: runtime faults still reach the runtime: yes", lines);
        // The status came through isa-debug-exit (QEMU's exit code 2*0+1), a channel the app cannot write (its
        // "out-debug-exit" attack faulted): the forged "uk: exit status 7" line did not change it.
        Assert.Equal(1, guest.QemuExitCode);
        Assert.Equal(0, guest.ExitStatus);
        // The kernel's lines are the ones carrying this boot's console tag: its own exit line is there, and the
        // app's forged "uk: ..." lines are not (they stay the app's output).
        var kernel = guest.KernelLines.Select(l => l.TrimEnd('\r', '\n')).ToList();
        Assert.Equal("uk: exit status 0", kernel.Last(l => l.StartsWith("uk: exit status", StringComparison.Ordinal)));
        Assert.Contains("uk: panic: forged by the hostile app", guest.AppOutput);
        Assert.DoesNotContain(kernel, l => l.Contains("forged", StringComparison.Ordinal));
        // No panic, fault report or killed app of the kernel's own.
        Assert.DoesNotContain(kernel, l => l.StartsWith("uk: panic", StringComparison.Ordinal));
        Assert.DoesNotContain(kernel, l => l.StartsWith("uk: app terminated", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("kernel fault", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void OutcomesMatchLinuxWhereTheSemanticsAgree()
    {
        var linux = AppImages.RunOnLinux(App, []);
        var native = ParseOutcomes(linux.Lines);   // one process writing: no kernel lines to take out

        Assert.Equal(0, linux.ExitStatus);
        var wrong = new List<string>();
        foreach (var (name, accepted) in Expected)
        {
            if (DiffersOnLinux.ContainsKey(name)) continue;
            if (!native.TryGetValue(name, out string? line)) wrong.Add($"{name}: missing natively");
            else if (!accepted.Contains(FirstWord(line))) wrong.Add($"{name}: natively {line} (the image's expectation: {string.Join(" or ", accepted)})");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} attacks end differently on Linux:\n  {string.Join("\n  ", wrong)}");
        Assert.All(DiffersOnLinux.Keys, name => Assert.True(Expected.ContainsKey(name), $"{name} is not an attack"));
    }

    [Fact]
    public async Task FuzzedSystemCallsLeaveTheKernelHealthy()
    {
        const int Seeds = 5, Calls = 20_000;
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["fuzz", "1", Calls.ToString(), Seeds.ToString()], memory: "256M");
        string console = guest.Console.Replace("\r", "");
        var lines = WithoutKernelInterruptions(console.Split('\n')).ToArray();

        Assert.False(guest.TimedOut, $"the fuzzer timed out\n{Tail(console)}");
        for (int seed = 1; seed <= Seeds; seed++)
        {
            var summary = lines.SingleOrDefault(l => l.StartsWith($"fuzz: seed {seed}: ", StringComparison.Ordinal));
            Assert.True(summary != null, $"no summary for seed {seed}\n{Tail(console)}");
            var m = Regex.Match(summary, @": (\d+) calls, \d+ succeeded, (\d+) skipped");
            Assert.True(m.Success, summary);
            Assert.Equal(Calls, int.Parse(m.Groups[1].Value) + int.Parse(m.Groups[2].Value));
        }
        Assert.Contains("fuzz: kernel healthy: yes", lines);
        Assert.Equal(1, guest.QemuExitCode);
        Assert.Equal(0, guest.ExitStatus);
        var kernel = guest.KernelLines.Select(l => l.TrimEnd('\r', '\n')).ToList();
        Assert.Contains("uk: exit status 0", kernel);
        Assert.DoesNotContain(kernel, l => l.StartsWith("uk: panic", StringComparison.Ordinal) || l.StartsWith("uk: app terminated", StringComparison.Ordinal));
    }

    [Fact]
    public void FuzzRefusesToRunOnTheHost()
    {
        var linux = AppImages.RunOnLinux(App, ["fuzz", "1", "10"]);

        Assert.Equal(2, linux.ExitStatus);
        Assert.Equal(["hostile: fuzz runs only inside the unikernel (random system calls could change a real host)"], linux.Lines);
    }

    private static string FirstWord(string outcome) => outcome.Split(' ', 2)[0];

    /// <summary>The console's last 40 lines, without the kernel's one-per-number "unimplemented system call" notes.</summary>
    private static string Tail(string console) =>
        string.Join('\n', console.Split('\n').Where(l => !l.StartsWith("uk: unimplemented system call", StringComparison.Ordinal)).TakeLast(40));

    /// <summary>"attack NAME: OUTCOME..." lines (already rejoined) -> NAME -> OUTCOME....</summary>
    public static Dictionary<string, string> ParseOutcomes(IEnumerable<string> lines)
    {
        var outcomes = new Dictionary<string, string>();
        foreach (string line in lines)
        {
            var m = Regex.Match(line, @"^attack ([^ :]+): (.+)$");
            if (m.Success) outcomes[m.Groups[1].Value] = m.Groups[2].Value;
        }
        return outcomes;
    }

    /// <summary>
    /// The app's lines whole again where a kernel line cut into one (the kernel writes its lines to the console
    /// while the app's last bytes may still be queued for it: "attack p" + "uk: ...\n" + "tr-pipe2-fds@...: EFAULT").
    /// </summary>
    private static IEnumerable<string> WithoutKernelInterruptions(IEnumerable<string> lines)
    {
        string pending = "";
        foreach (string line in lines)
        {
            int cut = line.IndexOf("uk: ", StringComparison.Ordinal);
            if (cut == 0) { yield return line; continue; }
            if (cut > 0)   // the app's lines never hold "uk: " inside: an unfinished app line, then the kernel's
            {
                pending += line[..cut];
                yield return line[cut..];
                continue;
            }
            yield return pending + line;
            pending = "";
        }
    }

    /// <summary>One boot of the attacks, shared by the tests that read its console.</summary>
    public sealed class AttackBoot : IAsyncLifetime
    {
        public BootResult Guest { get; private set; } = null!;
        public Dictionary<string, string> Outcomes { get; private set; } = new();

        /// <summary>When the run stopped early: which attack was the last to report, for the failure messages.</summary>
        public string CrashNote { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Guest = await AppImages.BootAsync(App, MachineKind.Microvm, [], memory: "256M");
            var lines = WithoutKernelInterruptions(Guest.Console.Replace("\r", "").Split('\n')).ToArray();
            Outcomes = ParseOutcomes(lines);
            if (!lines.Any(l => l.StartsWith("hostile: ", StringComparison.Ordinal) && l.EndsWith(" attacks done", StringComparison.Ordinal)))
            {
                string last = lines.LastOrDefault(l => l.StartsWith("attack ", StringComparison.Ordinal)) ?? "(none)";
                CrashNote = $" -- THE RUN STOPPED EARLY (kernel crash, hang or app killed; status {Guest.ExitStatus}, QEMU {Guest.QemuExitCode}, "
                          + $"timed out {Guest.TimedOut}); last attack line: {last}; console tail:\n{Tail(Guest.Console.Replace("\r", ""))}\n";
            }
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
