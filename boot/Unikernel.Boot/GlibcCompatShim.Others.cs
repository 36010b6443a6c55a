using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

// glibc names with the same meaning as a musl function, and the glibc functions musl lacks.
public static partial class GlibcCompatShim
{
    private const int MuslJmpBufStackPointer = 6 * 8;   // musl's jmp_buf: rbx rbp r12 r13 r14 r15 rsp rip
    private const int SsOnStack = 1;                    // stack_t: ss_sp, ss_flags (this bit), ss_size
    private const int Eintr = 4;
    private const int Enosys = 38;
    private const uint PtLoad = 1, PtGnuEhFrame = 0x6474E550;
    private const int PhdrSize = 56, PhdrVaddr = 16, PhdrMemsz = 40;          // Elf64_Phdr
    private const int InfoAddr = 0, InfoPhdr = 16, InfoPhnum = 24;            // struct dl_phdr_info

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
    
        EmitFindObject(s);
    }

    // int _dl_find_object(void *pc, struct dl_find_object *result) (glibc 2.35): gcc 12's libgcc_eh finds the
    // unwind tables of the code at pc through it (unwind-dw2-fde-dip.o) when no frames were registered, which is
    // the case in uk-cc's links (no crtbegin.o). Built on dl_iterate_phdr, which musl answers for the static
    // executable from its program headers: the object whose PT_LOAD segments hold pc, its address range and its
    // PT_GNU_EH_FRAME. result: flags, map_start, map_end, link_map (NULL here), eh_frame; -1 when no object has pc.
    private static void EmitFindObject(ShimAssembler s)
    {
        s.Function("_dl_find_object", () =>
        {
            var a = s.Asm;
            // The search state the callback fills: pc, map_start, map_end, eh_frame.
            a.push(rbx);
            a.sub(rsp, 32);
            a.mov(rbx, rsi);
            a.mov(__qword_ptr[rsp], rdi);
            a.lea(rdi, __[s.LabelOf("callback")]);
            a.mov(rsi, rsp);
            s.Call("dl_iterate_phdr");
            a.test(eax, eax);
            a.jz(s.LabelOf("missing"));
            a.mov(__qword_ptr[rbx], 0);
            a.mov(rax, __qword_ptr[rsp + 8]);
            a.mov(__qword_ptr[rbx + 8], rax);
            a.mov(rax, __qword_ptr[rsp + 16]);
            a.mov(__qword_ptr[rbx + 16], rax);
            a.mov(__qword_ptr[rbx + 24], 0);
            a.mov(rax, __qword_ptr[rsp + 24]);
            a.mov(__qword_ptr[rbx + 32], rax);
            a.xor(eax, eax);
            a.jmp(s.LabelOf("return"));
            s.Bind("missing");
            a.mov(eax, -1);
            s.Bind("return");
            a.add(rsp, 32);
            a.pop(rbx);
            a.ret();

            // int callback(struct dl_phdr_info *info, size_t size, void *state): 1 (stop) for the object holding pc.
            s.Bind("callback");
            a.push(rbx);
            a.push(r12);
            a.mov(rbx, __qword_ptr[rdx]);             // pc
            a.mov(r8, __qword_ptr[rdi + InfoAddr]);
            a.mov(r9, __qword_ptr[rdi + InfoPhdr]);
            a.movzx(ecx, __word_ptr[rdi + InfoPhnum]);
            a.mov(r10, -1);                           // lowest PT_LOAD start
            a.xor(r11d, r11d);                        // highest PT_LOAD end
            a.xor(edi, edi);                          // PT_GNU_EH_FRAME address
            a.xor(esi, esi);                          // 1 once a PT_LOAD holds pc
            a.test(ecx, ecx);
            a.jz(s.LabelOf("scanned"));
            s.Bind("header");
            a.mov(eax, __dword_ptr[r9]);
            a.cmp(eax, PtGnuEhFrame);
            a.jne(s.LabelOf("load"));
            a.mov(rdi, __qword_ptr[r9 + PhdrVaddr]);
            a.add(rdi, r8);
            a.jmp(s.LabelOf("next"));
            s.Bind("load");
            a.cmp(eax, PtLoad);
            a.jne(s.LabelOf("next"));
            a.mov(rax, __qword_ptr[r9 + PhdrVaddr]);
            a.add(rax, r8);
            a.cmp(rax, r10);
            a.cmovb(r10, rax);
            a.mov(r12, rax);
            a.add(r12, __qword_ptr[r9 + PhdrMemsz]);
            a.cmp(r12, r11);
            a.cmova(r11, r12);
            a.mov(r12, rbx);
            a.sub(r12, rax);
            a.cmp(r12, __qword_ptr[r9 + PhdrMemsz]);
            a.jae(s.LabelOf("next"));
            a.mov(esi, 1);
            s.Bind("next");
            a.add(r9, PhdrSize);
            a.dec(ecx);
            a.jnz(s.LabelOf("header"));
            s.Bind("scanned");
            a.xor(eax, eax);
            a.test(esi, esi);
            a.jz(s.LabelOf("callback.return"));
            a.mov(__qword_ptr[rdx + 8], r10);
            a.mov(__qword_ptr[rdx + 16], r11);
            a.mov(__qword_ptr[rdx + 24], rdi);
            a.mov(eax, 1);
            s.Bind("callback.return");
            a.pop(r12);
            a.pop(rbx);
            a.ret();
        });
    }
}
