using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Integration.Tests.RawProgram;

namespace Unikernel.Integration.Tests;

/// <summary>
/// What the app hands back to the kernel on the signal paths, and the calls that wait for signals, as
/// machine-code programs (RawProgram) run on this Linux host and in the unikernel: each program checks
/// its own expectations (a distinct exit status names the first one that failed) and prints one line,
/// and both systems must agree with the expected line and status. TCG does not fault on a non-canonical
/// iretq as a real CPU does, so the kernel's rule for that is also tested on the host (UserFrameTests).
/// </summary>
public class SignalBoundaryTests
{
    private const ulong ActionScratch = Scratch, Flags = Scratch + 0x100, Forged = Scratch + 0x1000;
    private const ulong AlternateStack = Scratch + 0x1_0000, ThreadStackTop = Scratch + 0x3_0000;
    private const ulong Times = Scratch + 0x3_1000, InfoBuffer = Scratch + 0x3_1400;
    private const ulong NonCanonical = 0x0000_8000_0000_0000;
    private const int SiKernel = 0x80, SiTkill = -6, TrapTrace = 2;
    private const ulong HandlerRan = Flags + 8, HandlerMask = Flags + 0x20, ParentTid = Flags, SignalSet = Flags + 0x10;
    private const ulong EmptySet = Flags + 0x18, MaskAfter = Flags + 0x28;
    private const int UcRsp = 40 + 15 * 8, UcRip = 40 + 16 * 8, UcFlags = 40 + 17 * 8, UcSelectors = 40 + 18 * 8;
    private const int UcTrapNumber = 40 + 20 * 8, UcSigmask = 296;

    private static async Task SameOnLinuxAndInTheGuest(RawProgram program, string name, int status, params string[] lines)
    {
        byte[] elf = program.ToElf();
        var linux = RunOnLinux(elf, name);
        Assert.True(linux.ExitStatus == status, $"on Linux: exit status {linux.ExitStatus}, expected {status}\n{linux.Console}");
        Assert.Equal(lines, linux.Lines);
        var guest = await RunInGuestAsync(elf, name);
        Assert.True(guest.ExitStatus == status, $"in the guest: exit status {guest.ExitStatus}, expected {status}\n{guest.Console}");
        Assert.Equal(lines, guest.Lines);
    }

    /// <summary>A ucontext at <see cref="Forged"/> that resumes at rip with this stack, rflags and the current selectors; rsp is left on it for rt_sigreturn.</summary>
    private static void ForgeContextAndReturn(RawProgram p, Action loadRipIntoRax, ulong rflags)
    {
        var a = p.Asm;
        a.mov(rbx, Forged);
        loadRipIntoRax();
        a.mov(__qword_ptr[rbx + UcRip], rax);
        a.mov(__qword_ptr[rbx + UcRsp], rsp);
        a.mov(rax, rflags);
        a.mov(__qword_ptr[rbx + UcFlags], rax);
        // cs | ss << 48, as Linux lays out its "csgsfs" word: the app's own selectors, whatever system runs it.
        a.xor(eax, eax);
        a.mov(ax, cs);
        a.xor(ecx, ecx);
        a.mov(cx, ss);
        a.shl(rcx, 48);
        a.or(rax, rcx);
        a.mov(__qword_ptr[rbx + UcSelectors], rax);
        a.mov(rsp, rbx);
        p.Syscall(15);
        p.Exit(79);   // rt_sigreturn does not return
    }

    [Fact]
    public async Task SigreturnToANonCanonicalRipIsSigsegvInTheApp()
    {
        var p = new RawProgram();
        var a = p.Asm;
        var segv = a.CreateLabel();
        p.SetHandler(SIGSEGV, segv, SaSiginfo, ActionScratch);
        ForgeContextAndReturn(p, () => a.mov(rax, NonCanonical), 0x202);

        a.Label(ref segv);
        ExpectForcedSigsegv(p, 81, UcRip, NonCanonical);
        p.Print("non-canonical rip: SIGSEGV, SI_KERNEL, the context keeps the rip");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "sigreturn-rip", 0, "non-canonical rip: SIGSEGV, SI_KERNEL, the context keeps the rip");
    }

    [Fact]
    public async Task SigreturnRestoresTheTrapFlagButNeverIoplOrNt()
    {
        const ulong TrapFlag = 0x100, Iopl3 = 0x3000, NestedTask = 0x4000;
        var p = new RawProgram();
        var a = p.Asm;
        var trap = a.CreateLabel();
        var resumed = a.CreateLabel();
        p.SetHandler(SIGTRAP, trap, SaSiginfo, ActionScratch);
        ForgeContextAndReturn(p, () => a.lea(rax, __[resumed]), 0x202 | TrapFlag | Iopl3 | NestedTask);

        a.Label(ref resumed);
        a.nop();
        p.Exit(84);   // no single-step trap: TF was not restored

        a.Label(ref trap);
        a.cmp(edi, SIGTRAP); p.ExitUnlessEqual(85);
        a.cmp(__dword_ptr[rsi + 8], TrapTrace); p.ExitUnlessEqual(86);
        a.mov(rax, __qword_ptr[rdx + UcFlags]);
        a.and(rax, (int)(Iopl3 | NestedTask));
        a.cmp(rax, 0); p.ExitUnlessEqual(87);
        p.Print("sigreturn: TF kept (SIGTRAP, TRAP_TRACE), IOPL and NT dropped");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "sigreturn-flags", 0, "sigreturn: TF kept (SIGTRAP, TRAP_TRACE), IOPL and NT dropped");
    }

    [Fact]
    public async Task AnUnreadableSigreturnFrameIsSigsegvThatAHandlerOnTheAlternateStackSees()
    {
        var p = new RawProgram();
        var a = p.Asm;
        var segv = a.CreateLabel();
        a.mov(rbx, Forged);
        a.mov(rax, AlternateStack);
        a.mov(__qword_ptr[rbx], rax);
        a.mov(__qword_ptr[rbx + 8], 0);
        a.mov(__qword_ptr[rbx + 16], 0x1_0000);
        p.Syscall(131, Forged, 0);   // sigaltstack
        p.ExpectRax(0, 99);
        p.SetHandler(SIGSEGV, segv, SaSiginfo | SaOnStack, ActionScratch);
        a.mov(rsp, 0x1_0000UL);      // nothing is mapped there, on either system
        p.Syscall(15);
        p.Exit(100);

        a.Label(ref segv);
        ExpectForcedSigsegv(p, 101, UcRsp, 0x1_0000UL);
        p.Print("unreadable frame: SIGSEGV, SI_KERNEL, handled on the alternate stack");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "sigreturn-badframe", 0, "unreadable frame: SIGSEGV, SI_KERNEL, handled on the alternate stack");
    }

    [Fact]
    public async Task ANonCanonicalHandlerAddressIsSigsegvInTheApp()
    {
        var p = new RawProgram();
        var a = p.Asm;
        var segv = a.CreateLabel();
        p.SetHandlerAddress(SIGUSR1, NonCanonical, 0, ActionScratch);
        p.SetHandler(SIGSEGV, segv, SaSiginfo, ActionScratch);
        p.KillSelf(SIGUSR1);
        p.Exit(110);

        a.Label(ref segv);
        ExpectForcedSigsegv(p, 111, UcRip, NonCanonical);
        p.Print("non-canonical handler: SIGSEGV, SI_KERNEL, at the handler's address");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "handler-address", 0, "non-canonical handler: SIGSEGV, SI_KERNEL, at the handler's address");
    }

    [Fact]
    public async Task ASigsegvHandlerThatCannotBeEnteredEndsTheAppInsteadOfLoopingInTheKernel()
    {
        // Both handlers at a non-canonical address, SIGSEGV's with SA_NODEFER on a 64 KiB alternate stack:
        // each attempt to enter it fails and raises SIGSEGV again. Linux stops when the frames overflow the
        // alternate stack; the kernel must not loop with interrupts off.
        var p = new RawProgram();
        var a = p.Asm;
        a.mov(rbx, Forged);
        a.mov(rax, AlternateStack);
        a.mov(__qword_ptr[rbx], rax);
        a.mov(__qword_ptr[rbx + 8], 0);
        a.mov(__qword_ptr[rbx + 16], 0x1_0000);
        p.Syscall(131, Forged, 0);   // sigaltstack
        p.ExpectRax(0, 169);
        p.SetHandlerAddress(SIGSEGV, NonCanonical, SaNodefer | SaOnStack, ActionScratch);
        p.SetHandlerAddress(SIGUSR1, NonCanonical, 0, ActionScratch);
        p.Print("sending SIGUSR1");
        p.KillSelf(SIGUSR1);
        p.Exit(170);

        await SameOnLinuxAndInTheGuest(p, "handler-loop", 128 + SIGSEGV, "sending SIGUSR1");
    }

    [Fact]
    public async Task Int3InTheAppIsSigtrapWithRipAfterIt()
    {
        var p = new RawProgram();
        var a = p.Asm;
        var trap = a.CreateLabel();
        var after = a.CreateLabel();
        p.SetHandler(SIGTRAP, trap, SaSiginfo, ActionScratch);
        a.int3();
        a.Label(ref after);
        p.Exit(91);

        a.Label(ref trap);
        a.cmp(edi, SIGTRAP); p.ExitUnlessEqual(92);
        a.cmp(__dword_ptr[rsi + 8], SiKernel); p.ExitUnlessEqual(93);
        a.lea(rax, __[after]);
        a.cmp(__qword_ptr[rdx + UcRip], rax); p.ExitUnlessEqual(94);
        a.cmp(__qword_ptr[rdx + UcTrapNumber], 3); p.ExitUnlessEqual(95);
        p.Print("int3: SIGTRAP, SI_KERNEL, rip after the int3, trap 3");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "int3", 0, "int3: SIGTRAP, SI_KERNEL, rip after the int3, trap 3");
    }

    [Fact]
    public async Task Int3WithoutAHandlerEndsTheAppWithSigtrap()
    {
        var p = new RawProgram();
        p.Print("before int3");
        p.Asm.int3();
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "int3-default", 128 + SIGTRAP, "before int3");
    }

    [Fact]
    public async Task NonCanonicalFsAndGsBasesAreRefusedWithEperm()
    {
        const int ArchSetGs = 0x1001, ArchSetFs = 0x1002, ArchGetGs = 0x1004, Eperm = -1;
        const ulong CloneThreadWithTls = 0x100 | 0x200 | 0x400 | 0x800 | 0x1_0000 | 0x4_0000 | 0x8_0000;
        var p = new RawProgram();
        var a = p.Asm;
        p.Syscall(158, ArchSetFs, 0x8000_0000_0000_0000); p.ExpectRax(Eperm, 120);
        p.Syscall(158, ArchSetGs, NonCanonical); p.ExpectRax(Eperm, 121);
        p.Syscall(158, ArchSetFs, 0xFFFF_8000_0000_0000); p.ExpectRax(Eperm, 122);   // canonical, but not the app's
        p.Syscall(158, ArchSetGs, Flags); p.ExpectRax(0, 123);
        p.Syscall(158, ArchGetGs, Flags + 0x40); p.ExpectRax(0, 124);
        a.mov(rax, Flags);
        a.mov(rbx, Flags + 0x40);
        a.cmp(__qword_ptr[rbx], rax); p.ExitUnlessEqual(125);
        p.Syscall(56, CloneThreadWithTls, ThreadStackTop, 0, 0, NonCanonical); p.ExpectRax(Eperm, 126);
        p.Print("non-canonical FS/GS bases and clone TLS: EPERM; a user GS base: set and read back");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "segment-bases", 0, "non-canonical FS/GS bases and clone TLS: EPERM; a user GS base: set and read back");
    }

    // A second thread that sends SIGUSR1 to the main thread every 20 ms, for ever (exit_group ends it):
    // whenever the main thread starts waiting, a signal comes.
    private static void StartSignalSender(RawProgram p)
    {
        const ulong CloneThread = 0x100 | 0x200 | 0x400 | 0x800 | 0x1_0000 | 0x4_0000;
        var a = p.Asm;
        var child = a.CreateLabel();
        var parent = a.CreateLabel();
        p.Syscall(186);              // gettid
        a.mov(rbx, ParentTid);
        a.mov(__qword_ptr[rbx], rax);
        a.mov(rbx, Times);
        a.mov(__qword_ptr[rbx], 0);
        a.mov(__qword_ptr[rbx + 8], 20_000_000);
        p.Syscall(56, CloneThread, ThreadStackTop);
        a.test(rax, rax);
        a.jz(child);
        a.jmp(parent);
        a.Label(ref child);
        p.Syscall(35, Times, 0);     // nanosleep 20 ms
        p.Syscall(39);               // getpid
        a.mov(rdi, rax);
        a.mov(rbx, ParentTid);
        a.mov(rsi, __qword_ptr[rbx]);
        a.mov(edx, SIGUSR1);
        a.mov(eax, 234);             // tgkill
        a.syscall();
        a.jmp(child);
        a.Label(ref parent);
    }

    private static Label CountingHandler(RawProgram p, bool saveMask)
    {
        var a = p.Asm;
        var handler = a.CreateLabel();
        var skip = a.CreateLabel();
        a.jmp(skip);
        a.Label(ref handler);
        a.mov(rax, HandlerRan);
        a.mov(__qword_ptr[rax], 1);
        if (saveMask)
        {
            a.mov(rcx, __qword_ptr[rdx + UcSigmask]);
            a.mov(rax, HandlerMask);
            a.mov(__qword_ptr[rax], rcx);
        }
        a.ret();
        a.Label(ref skip);
        return handler;
    }

    [Fact]
    public async Task PauseSleepsUntilASignalRunsAHandlerAndReturnsEintrEvenWithSaRestart()
    {
        const ulong SaRestart = 0x1000_0000;
        var p = new RawProgram();
        var a = p.Asm;
        var handler = CountingHandler(p, saveMask: false);
        p.SetHandler(SIGUSR1, handler, SaRestart, ActionScratch);
        StartSignalSender(p);
        p.Syscall(34);               // pause
        p.ExpectRax(-4, 130);        // -EINTR
        a.mov(rbx, HandlerRan);
        a.cmp(__qword_ptr[rbx], 1); p.ExitUnlessEqual(131);
        p.Print("pause: slept until the handler ran, then -EINTR");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "pause", 0, "pause: slept until the handler ran, then -EINTR");
    }

    [Fact]
    public async Task NanosleepEndsWithEintrAndTheTimeLeftWhenAHandlerRunsEvenWithSaRestart()
    {
        const ulong SaRestart = 0x1000_0000, Request = Times + 0x100, Remaining = Times + 0x110;
        const int ClockMonotonic = 1;
        var p = new RawProgram();
        var a = p.Asm;
        var handler = CountingHandler(p, saveMask: false);
        p.SetHandler(SIGUSR1, handler, SaRestart, ActionScratch);
        a.mov(rbx, Request);
        a.mov(__qword_ptr[rbx], 5);          // 5 s: the sender's first signal comes after 20 ms
        a.mov(__qword_ptr[rbx + 8], 0);
        StartSignalSender(p);
        p.Syscall(35, Request, Remaining);   // nanosleep
        p.ExpectRax(-4, 160);
        a.mov(rbx, Remaining);
        a.cmp(__qword_ptr[rbx], 4); p.ExitUnlessEqual(161);   // 4.9... s left
        p.Syscall(230, ClockMonotonic, 0, Request, Remaining);   // clock_nanosleep, relative
        p.ExpectRax(-4, 162);
        a.mov(rbx, Remaining);
        a.cmp(__qword_ptr[rbx], 4); p.ExitUnlessEqual(163);
        a.mov(rbx, HandlerRan);
        a.cmp(__qword_ptr[rbx], 1); p.ExitUnlessEqual(164);
        p.Print("nanosleep, clock_nanosleep: -EINTR after the handler, with the time left");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "nanosleep", 0, "nanosleep, clock_nanosleep: -EINTR after the handler, with the time left");
    }

    [Fact]
    public async Task SigsuspendRunsTheHandlerUnderItsMaskThenPutsTheOldMaskBack()
    {
        const ulong Usr1Bit = 1UL << (SIGUSR1 - 1);
        var p = new RawProgram();
        var a = p.Asm;
        var handler = CountingHandler(p, saveMask: true);
        p.SetHandler(SIGUSR1, handler, SaSiginfo, ActionScratch);
        a.mov(rbx, SignalSet);
        a.mov(__qword_ptr[rbx], (int)Usr1Bit);
        p.Syscall(14, 0, SignalSet, 0, 8);   // rt_sigprocmask(SIG_BLOCK, {SIGUSR1})
        p.ExpectRax(0, 139);
        StartSignalSender(p);
        p.Syscall(130, EmptySet, 8);         // rt_sigsuspend(empty set)
        p.ExpectRax(-4, 140);
        a.mov(rbx, HandlerRan);
        a.cmp(__qword_ptr[rbx], 1); p.ExitUnlessEqual(141);
        a.mov(rbx, HandlerMask);
        a.cmp(__qword_ptr[rbx], (int)Usr1Bit); p.ExitUnlessEqual(142);   // the context saves the caller's mask
        p.Syscall(14, 0, 0, MaskAfter, 8);
        p.ExpectRax(0, 143);
        a.mov(rbx, MaskAfter);
        a.cmp(__qword_ptr[rbx], (int)Usr1Bit); p.ExitUnlessEqual(144);
        p.Print("rt_sigsuspend: -EINTR after the handler, whose context holds the old mask, which is back");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "sigsuspend", 0, "rt_sigsuspend: -EINTR after the handler, whose context holds the old mask, which is back");
    }

    [Fact]
    public async Task SigtimedwaitTimesOutThenTakesABlockedSignalWithoutItsHandler()
    {
        const ulong Usr1Bit = 1UL << (SIGUSR1 - 1);
        const int Eagain = -11;
        var p = new RawProgram();
        var a = p.Asm;
        var handler = CountingHandler(p, saveMask: false);
        p.SetHandler(SIGUSR1, handler, SaSiginfo, ActionScratch);
        a.mov(rbx, SignalSet);
        a.mov(__qword_ptr[rbx], (int)Usr1Bit);
        p.Syscall(14, 0, SignalSet, 0, 8);
        p.ExpectRax(0, 149);
        a.mov(rbx, Times + 0x100);           // {0, 0}, then {0, 20 ms}
        a.mov(__qword_ptr[rbx], 0);
        a.mov(__qword_ptr[rbx + 8], 0);
        a.mov(__qword_ptr[rbx + 16], 0);
        a.mov(__qword_ptr[rbx + 24], 20_000_000);
        p.Syscall(128, SignalSet, InfoBuffer, Times + 0x100, 8);
        p.ExpectRax(Eagain, 150);
        p.Syscall(128, SignalSet, InfoBuffer, Times + 0x110, 8);
        p.ExpectRax(Eagain, 151);
        StartSignalSender(p);
        p.Syscall(128, SignalSet, InfoBuffer, 0, 8);
        p.ExpectRax(SIGUSR1, 152);
        a.mov(rbx, InfoBuffer);
        a.cmp(__dword_ptr[rbx], SIGUSR1); p.ExitUnlessEqual(153);
        a.cmp(__dword_ptr[rbx + 8], SiTkill); p.ExitUnlessEqual(154);
        a.mov(rbx, HandlerRan);
        a.cmp(__qword_ptr[rbx], 0); p.ExitUnlessEqual(155);
        p.Print("rt_sigtimedwait: -EAGAIN at the timeout, then SIGUSR1 taken (SI_TKILL) without its handler");
        p.Exit(0);

        await SameOnLinuxAndInTheGuest(p, "sigtimedwait", 0, "rt_sigtimedwait: -EAGAIN at the timeout, then SIGUSR1 taken (SI_TKILL) without its handler");
    }

    // In the SIGSEGV handler: the kernel forced the signal (SIGSEGV, SI_KERNEL) and the context still holds the
    // value it refused at contextOffset; exit codes firstExit.. name the check that failed.
    private static void ExpectForcedSigsegv(RawProgram p, int firstExit, int contextOffset, ulong refused)
    {
        var a = p.Asm;
        a.cmp(edi, SIGSEGV); p.ExitUnlessEqual(firstExit);
        a.cmp(__dword_ptr[rsi + 8], SiKernel); p.ExitUnlessEqual(firstExit + 1);
        a.mov(rax, refused);
        a.cmp(__qword_ptr[rdx + contextOffset], rax); p.ExitUnlessEqual(firstExit + 2);
    }
}
