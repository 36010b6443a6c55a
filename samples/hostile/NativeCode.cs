using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Hostile;

/// <summary>
/// The machine code the attacks run, assembled with Iced at start-up into pages of our own: C# has no raw
/// system call, no privileged instruction and no way to survive a fault in ring 3, so these few stubs do it.
/// Code pages are written, then made read+execute (W^X, as the kernel wants it); the fields the stubs share
/// with C# and with the signal handler live in a separate read-write data page at a fixed address, so the
/// handler needs no stack frame and no thread-local state.
/// </summary>
internal static unsafe class NativeCode
{
    // The data page: what a probe armed and what the fault handler found.
    public const int ArmedThread = 0x00;     // tid whose faults the handler catches (0: none)
    public const int RecoveryRip = 0x08;
    public const int RecoveryRsp = 0x10;
    public const int CaughtSignal = 0x18;
    public const int CaughtCode = 0x20;      // siginfo si_code
    public const int CaughtAddress = 0x28;   // siginfo si_addr
    public const int CaughtTrap = 0x30;      // mcontext trapno
    public const int CaughtRip = 0x38;
    public const int LandedFlags = 0x40;     // RFLAGS and CS where a forged sigreturn frame resumed
    public const int LandedCs = 0x48;
    public const int CountedSignals = 0x50;  // signals the counting handler (SIGUSR1) saw
    public const int DefaultAction = 0x60;   // a k_sigaction of SIG_DFL (32 bytes)
    public const int PreviousHandlers = 0x100;   // the runtime's handler per signal number (65 x 8 bytes)
    public const int Scratch = 0x400;        // sgdt/sidt results and other small outputs
    public const int DataSize = 0x1000;

    public const long LandedMarker = 0x4C414E444544;   // "LANDED": a forged frame's rip ran our landing code

    // mcontext offsets in ucontext_t (x86-64 Linux): gregs start at 40, REG_RSP = 15, REG_RIP = 16, REG_TRAPNO = 20.
    private const int GregRsp = 40 + 15 * 8, GregRip = 40 + 16 * 8, GregTrap = 40 + 20 * 8;

    public static byte* Data { get; private set; }
    public static delegate* unmanaged<long, long, long, long, long, long, long, long> RawSyscall { get; private set; }
    public static delegate* unmanaged<nint, long, long, long> RawProbe { get; private set; }
    public static nint FaultHandler { get; private set; }
    public static nint CountingHandler { get; private set; }
    public static nint Restorer { get; private set; }
    public static nint Landing { get; private set; }

    private static readonly Dictionary<string, nint> s_snippets = new();

    /// <summary>The entry of an attack snippet: called by <see cref="RawProbe"/> with its argument in rdi.</summary>
    public static nint Snippet(string name) => s_snippets[name];

    public static void Initialize()
    {
        const int CodeSize = 0x4000;
        byte* code = (byte*)Libc.MapPages(CodeSize, Libc.ProtRead | Libc.ProtWrite);
        Data = (byte*)Libc.MapPages(DataSize, Libc.ProtRead | Libc.ProtWrite);
        ulong data = (ulong)Data;

        var a = new Assembler(64);
        var labels = new Dictionary<string, Label>();
        // A label's address is known only through the copy that Assembler.Label updated: that one is kept.
        void Here(string name) { var l = a.CreateLabel(name); a.Label(ref l); labels[name] = l; }

        // long syscall(nr, a1..a6): the kernel's argument registers are rdi rsi rdx r10 r8 r9; rax = -errno on error.
        Here("syscall");
        a.mov(rax, rdi); a.mov(rdi, rsi); a.mov(rsi, rdx); a.mov(rdx, rcx); a.mov(r10, r8); a.mov(r8, r9);
        a.mov(r9, __qword_ptr[rsp + 8]);
        a.syscall();
        a.ret();

        // long probe(code, arg, tid): calls code(arg) with the fault handler armed for thread tid. A caught fault
        // resumes at `recover` with the stack pointer of this frame (the handler rewrites rip and rsp in the
        // context), so whatever the snippet did to its registers, the callee-saved ones come back from here.
        var recover = a.CreateLabel("recover");
        var done = a.CreateLabel("done");
        Here("probe");
        a.push(rbx); a.push(rbp); a.push(r12); a.push(r13); a.push(r14); a.push(r15);
        a.sub(rsp, 8);
        a.mov(r11, data);
        a.mov(__qword_ptr[r11 + RecoveryRsp], rsp);
        a.lea(rax, __[recover]);
        a.mov(__qword_ptr[r11 + RecoveryRip], rax);
        a.mov(__qword_ptr[r11 + CaughtSignal], 0);
        a.mov(__qword_ptr[r11 + ArmedThread], rdx);
        a.mov(rax, rdi);
        a.mov(rdi, rsi);
        a.call(rax);
        a.jmp(done);
        a.Label(ref recover);
        a.xor(eax, eax);
        a.Label(ref done);
        a.mov(r11, data);
        a.mov(__qword_ptr[r11 + ArmedThread], 0);
        a.add(rsp, 8);
        a.pop(r15); a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbp); a.pop(rbx);
        a.cld();
        a.ret();

        // The SA_SIGINFO handler (rdi = signal, rsi = siginfo, rdx = ucontext). A fault of the armed thread is
        // recorded and resumed at the probe's recovery point; any other (another thread's NullReferenceException,
        // say) goes to the handler the runtime had installed, as if ours were not there.
        var chain = a.CreateLabel("chain");
        var toDefault = a.CreateLabel("toDefault");
        Here("handler");
        a.mov(r11, data);
        a.cmp(__qword_ptr[r11 + ArmedThread], 0);
        a.je(chain);
        a.push(rdi); a.push(rsi); a.push(rdx);
        a.mov(eax, Sys.Gettid);
        a.syscall();
        a.pop(rdx); a.pop(rsi); a.pop(rdi);
        a.mov(r11, data);
        a.cmp(rax, __qword_ptr[r11 + ArmedThread]);
        a.jne(chain);
        a.mov(__qword_ptr[r11 + CaughtSignal], rdi);
        a.movsxd(rax, __dword_ptr[rsi + 8]);
        a.mov(__qword_ptr[r11 + CaughtCode], rax);
        a.mov(rax, __qword_ptr[rsi + 16]);
        a.mov(__qword_ptr[r11 + CaughtAddress], rax);
        a.mov(rax, __qword_ptr[rdx + GregTrap]);
        a.mov(__qword_ptr[r11 + CaughtTrap], rax);
        a.mov(rax, __qword_ptr[rdx + GregRip]);
        a.mov(__qword_ptr[r11 + CaughtRip], rax);
        a.mov(rax, __qword_ptr[r11 + RecoveryRip]);
        a.mov(__qword_ptr[rdx + GregRip], rax);
        a.mov(rax, __qword_ptr[r11 + RecoveryRsp]);
        a.mov(__qword_ptr[rdx + GregRsp], rax);
        a.mov(__qword_ptr[r11 + ArmedThread], 0);
        a.ret();
        a.Label(ref chain);
        a.mov(r11, data + PreviousHandlers);
        a.movsxd(rax, edi);
        a.mov(rax, __qword_ptr[r11 + rax * 8]);
        a.cmp(rax, 1);
        a.jbe(toDefault);
        a.jmp(rax);
        a.Label(ref toDefault);
        // No earlier handler: restore the default action and return; the fault happens again and does what it
        // would have done without us.
        a.mov(rsi, data + DefaultAction);
        a.xor(edx, edx);
        a.mov(r10d, 8);
        a.mov(eax, Sys.RtSigaction);
        a.syscall();
        a.ret();

        // Counts a signal and returns (SIGUSR1 for the pause attack).
        Here("counting");
        a.mov(r11, data);
        a.@lock.inc(__qword_ptr[r11 + CountedSignals]);
        a.ret();

        // sa_restorer: the handler's `ret` lands here.
        Here("restorer");
        a.mov(eax, Sys.RtSigreturn);
        a.syscall();
        a.ud2();

        // Where a forged sigreturn frame that the kernel accepted resumes: record RFLAGS and CS, then return
        // from the probe as a normal return with LandedMarker.
        Here("landing");
        a.pushfq();
        a.pop(rcx);
        a.mov(r11, data);
        a.mov(__qword_ptr[r11 + LandedFlags], rcx);
        a.mov(eax, cs);
        a.movzx(eax, ax);
        a.mov(__qword_ptr[r11 + LandedCs], rax);
        a.mov(rsp, __qword_ptr[r11 + RecoveryRsp]);
        a.mov(rax, LandedMarker);
        a.jmp(done);

        // rt_sigreturn with the stack pointer at the argument (a forged ucontext; the restorer's `ret` would have
        // popped the return address above it). If the call returns (refused with an errno), back to the probe.
        Here("sigreturn");
        a.mov(rsp, rdi);
        a.mov(eax, Sys.RtSigreturn);
        a.syscall();
        a.mov(r11, data);
        a.mov(rsp, __qword_ptr[r11 + RecoveryRsp]);
        a.jmp(done);

        InstructionSnippets.Emit(a, Here, data + Scratch);

        using var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), (ulong)code, BlockEncoderOptions.ReturnNewInstructionOffsets);
        if (stream.Length > CodeSize) throw new InvalidOperationException($"the stubs need {stream.Length} bytes, more than {CodeSize}");
        stream.ToArray().CopyTo(new Span<byte>(code, CodeSize));
        Libc.Protect((nint)code, CodeSize, Libc.ProtRead | Libc.ProtExec);

        nint At(string name) => (nint)result.GetLabelRIP(labels[name]);
        RawSyscall = (delegate* unmanaged<long, long, long, long, long, long, long, long>)At("syscall");
        RawProbe = (delegate* unmanaged<nint, long, long, long>)At("probe");
        FaultHandler = At("handler");
        CountingHandler = At("counting");
        Restorer = At("restorer");
        Landing = At("landing");
        s_snippets["sigreturn"] = At("sigreturn");
        foreach (string name in InstructionSnippets.Names) s_snippets[name] = At(name);
    }
}

/// <summary>mmap and mprotect from musl's libc.a (DirectPInvoke): only to make the code and data pages.</summary>
internal static partial class Libc
{
    public const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int prot);

    public static nint MapPages(int size, int prot)
    {
        nint p = Mmap(0, (nuint)size, prot, MapPrivate | MapAnonymous, -1, 0);
        if (p == -1) throw new InvalidOperationException($"mmap of {size} bytes failed: errno {Marshal.GetLastPInvokeError()}");
        return p;
    }

    public static void Protect(nint address, int size, int prot)
    {
        if (Mprotect(address, (nuint)size, prot) != 0)
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
