using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

// glibc names with the same meaning as a musl function, and the glibc functions musl lacks.
public static partial class GlibcCompatShim
{
    private const int MuslJmpBufStackPointer = 6 * 8;   // musl's jmp_buf: rbx rbp r12 r13 r14 r15 rsp rip
    private const int SsOnStack = 1;                    // stack_t: ss_sp, ss_flags (this bit), ss_size
    private const int Eintr = 4;
    private const int Enosys = 38;

    private static void EmitOthers(ShimAssembler s)
    {
        var a = s.Asm;

        // glibc's headers since 2.28 turn fcntl into fcntl64 (the same call on x86-64; the optional third
        // argument stays in rdx for a variadic callee).
        s.Function("fcntl64", () => s.TailCall("fcntl"));
        foreach (var alias in LargeFileAliases)
            s.Function(alias, () => s.TailCall(alias[..^2]), isWeak: true);

        // int __register_atfork(prepare, parent, child, dso): pthread_atfork as glibc implements it.
        s.Function("__register_atfork", () => s.TailCall("pthread_atfork"));

        // __longjmp_chk(env, val): glibc refuses to jump to a stack pointer below the current one (a frame
        // that has returned), unless the jump leaves the signal stack it is running on. musl's setjmp stores
        // rsp unmangled.
        s.Function("__longjmp_chk", () =>
        {
            a.mov(r8, __qword_ptr[rdi + MuslJmpBufStackPointer]);
            a.cmp(rsp, r8);
            a.jbe(s.LabelOf("longjmp.ok"));
            a.push(rdi);
            a.push(rsi);
            a.push(r8);
            a.sub(rsp, 32);
            a.xor(edi, edi);
            a.mov(rsi, rsp);
            s.Call("sigaltstack");
            a.test(eax, eax);
            a.jnz(s.LabelOf("longjmp.restore"));   // without sigaltstack glibc cannot test either, and jumps
            a.test(__dword_ptr[rsp + 8], SsOnStack);
            a.jz(s.LabelOf("longjmp.fail"));
            a.mov(rax, __qword_ptr[rsp]);
            a.add(rax, __qword_ptr[rsp + 16]);
            a.sub(rax, __qword_ptr[rsp + 32]);
            a.cmp(rax, __qword_ptr[rsp + 16]);
            a.jb(s.LabelOf("longjmp.fail"));       // the target is inside the signal stack, below us
            s.Bind("longjmp.restore");
            a.add(rsp, 32);
            a.pop(r8);
            a.pop(rsi);
            a.pop(rdi);
            s.Bind("longjmp.ok");
            s.TailCall("longjmp");
            s.Bind("longjmp.fail");
            FailWith(s, LongjmpBelowStack);
        });

        // uint32_t arc4random(void) (glibc 2.36, libstdc++'s random_device): four bytes from getrandom,
        // retried on EINTR; glibc aborts when the kernel has no randomness to give, and so does this.
        s.Function("arc4random", () =>
        {
            a.sub(rsp, 24);
            s.Bind("arc4random.retry");
            a.mov(rdi, rsp);
            a.mov(esi, 4);
            a.xor(edx, edx);
            s.Call("getrandom");
            a.cmp(rax, 4);
            a.je(s.LabelOf("arc4random.done"));
            s.Call("__errno_location");
            a.cmp(__dword_ptr[rax], Eintr);
            a.je(s.LabelOf("arc4random.retry"));
            s.Call("abort");
            s.Bind("arc4random.done");
            a.mov(eax, __dword_ptr[rsp]);
            a.add(rsp, 24);
            a.ret();
        });

        // ucontext (libcrypto's async jobs, async_posix.o): musl has none, and the shim reports them as
        // unsupported rather than switching stacks. OpenSSL asks getcontext first (ASYNC_is_capable,
        // async_fibre_makecontext) and runs without async jobs when it fails; .NET never starts one.
        foreach (var name in new[] { "getcontext", "setcontext" })
        {
            s.Function(name, () =>
            {
                a.sub(rsp, 8);
                s.Call("__errno_location");
                a.mov(__dword_ptr[rax], Enosys);
                a.mov(eax, -1);
                a.add(rsp, 8);
                a.ret();
            });
        }
        s.Function("makecontext", () => a.ret());
    }
}
