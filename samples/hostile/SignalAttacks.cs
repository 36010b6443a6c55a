using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hostile;

/// <summary>
/// Forged rt_sigreturn frames (the kernel must refuse what ring 3 may not have: a kernel or non-canonical rip,
/// a kernel code selector, IOPL), arch_prctl with kernel FS bases, and pause() woken by a signal.
/// </summary>
internal static unsafe class SignalAttacks
{
    private const int GregsOffset = 40, SigmaskOffset = 296;
    private const int RegRsp = 15, RegRip = 16, RegFlags = 17, RegSegments = 18, FpregsPointer = 23;
    private const ulong Iopl3 = 0x3000, InterruptsEnabled = 0x200, Reserved = 0x2;

    private delegate void Forge(ulong* gregs);

    public static void RunSigreturn(AttackRun run)
    {
        long segments = run.Catcher.Probe("read-cs-ss").Value;
        ulong userCs = (ulong)segments & 0xFFFF, userSs = ((ulong)segments >> 16) & 0xFFFF;

        void Forged(string name, Forge forge)
        {
            run.Attack(name, () =>
            {
                byte* frame = (byte*)Marshal.AllocHGlobal(4096);
                byte* landingStack = (byte*)Marshal.AllocHGlobal(4096);
                try
                {
                    byte* uc = frame + 64;
                    new Span<byte>(frame, 4096).Clear();
                    *(int*)(uc + 24) = 2;   // uc_stack: SS_DISABLE (Linux restores the alternate stack from here)
                    ulong* gregs = (ulong*)(uc + GregsOffset);
                    gregs[RegRsp] = (ulong)(landingStack + 4096 - 64);
                    gregs[RegRip] = (ulong)NativeCode.Landing;
                    gregs[RegFlags] = InterruptsEnabled | Reserved;
                    gregs[RegSegments] = userCs | (userSs << 48);
                    ulong mask;
                    Sys.Call(Sys.RtSigprocmask, 0, 0, (long)&mask, 8);
                    *(ulong*)(uc + SigmaskOffset) = mask;
                    forge(gregs);
                    return Landed(run.Catcher.Probe("sigreturn", (long)uc), userCs);
                }
                finally
                {
                    run.Catcher.InstallAlternateStack();
                    Marshal.FreeHGlobal((nint)landingStack);
                    Marshal.FreeHGlobal((nint)frame);
                }
            });
        }

        Forged("sigreturn-valid-frame", gregs => { });
        Forged("sigreturn-non-canonical-rip", gregs => gregs[RegRip] = (ulong)KernelRanges.NonCanonicalLow);
        Forged("sigreturn-kernel-image-rip", gregs => gregs[RegRip] = (ulong)KernelRanges.KernelImage);
        Forged("sigreturn-upper-half-rip", gregs => gregs[RegRip] = unchecked((ulong)KernelRanges.UpperKernelImage));
        Forged("sigreturn-kernel-cs", gregs => gregs[RegSegments] = 0x08 | (userSs << 48));
        Forged("sigreturn-iopl3", gregs => gregs[RegFlags] |= Iopl3);
        Forged("sigreturn-kernel-fpregs", gregs => gregs[FpregsPointer] = (ulong)KernelRanges.KernelImage);
    }

    /// <summary>
    /// rt_sigreturn with the frame itself at a kernel address. Linux answers with a SIGSEGV the app can catch;
    /// a kernel that instead ends the app stops the run here, so this goes last.
    /// </summary>
    public static void RunFrameAtKernelAddress(AttackRun run)
    {
        foreach (var (name, address) in KernelRanges.PointerTargets)
            run.Attack($"sigreturn-frame-at-{name}", () => Landed(run.Catcher.Probe("sigreturn", address), 0));
    }

    private static string Landed(ProbeResult result, ulong userCs)
    {
        if (result.Faulted) return result.Describe();
        if (result.Value != NativeCode.LandedMarker) return $"REFUSED ({Sys.Outcome(result.Value)})";
        ulong flags = *(ulong*)(NativeCode.Data + NativeCode.LandedFlags);
        ulong cs = *(ulong*)(NativeCode.Data + NativeCode.LandedCs);
        if (userCs != 0 && cs != userCs) return $"KERNEL-CS (cs 0x{cs:x})";
        if ((flags & Iopl3) != 0) return $"IOPL-GRANTED (rflags 0x{flags:x})";
        return $"RESUMED (cs 0x{cs:x}, rflags 0x{flags:x})";
    }

    public static void RunArchPrctl(AttackRun run)
    {
        const int ArchSetFs = 0x1002;
        foreach (var (name, address) in new[] { ("non-canonical-low", KernelRanges.NonCanonicalLow), ("non-canonical-high", KernelRanges.NonCanonicalHigh), ("upper-half", KernelRanges.UpperHalf) })
            run.Attack($"arch_prctl-set-fs-{name}", () => Sys.Outcome(Sys.Call(Sys.ArchPrctl, ArchSetFs, address)));
    }

    /// <summary>
    /// pause() must sleep until a signal's handler has run, then fail with EINTR. A second thread sends SIGUSR1
    /// every 100 ms (so a signal that came before the sleep cannot leave it sleeping) for at most 5 seconds.
    /// </summary>
    public static void RunPause(AttackRun run)
    {
        run.Attack("pause-woken-by-signal", () =>
        {
            const long SaRestorer = 0x04000000;
            var action = new FaultCatcher.KernelSigaction { Handler = (ulong)NativeCode.CountingHandler, Flags = (ulong)SaRestorer, Restorer = (ulong)NativeCode.Restorer };
            FaultCatcher.KernelSigaction previous;
            Sys.Call(Sys.RtSigaction, Sys.SIGUSR1, (long)&action, (long)&previous, 8);
            long* counted = (long*)(NativeCode.Data + NativeCode.CountedSignals);
            *counted = 0;
            long pid = Sys.Call(Sys.Getpid), tid = Sys.CurrentThreadId;
            var done = new ManualResetEventSlim();
            var signaller = new Thread(() =>
            {
                var clock = Stopwatch.StartNew();
                while (!done.Wait(100) && clock.Elapsed < TimeSpan.FromSeconds(5))
                    Sys.Call(Sys.Tgkill, pid, tid, Sys.SIGUSR1);
            }) { IsBackground = true };
            signaller.Start();
            var slept = Stopwatch.StartNew();
            long r = Sys.Call(Sys.Pause);
            long ms = slept.ElapsedMilliseconds;
            done.Set();
            signaller.Join();
            Sys.Call(Sys.RtSigaction, Sys.SIGUSR1, (long)&previous, 0, 8);
            return $"{Sys.Outcome(r)} (after {(ms < 50 ? "under 50" : "about " + (ms / 50 * 50))} ms, handler ran {(*counted > 0 ? "yes" : "no")})";
        });
    }
}
