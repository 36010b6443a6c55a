using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

// The fortified printf family. glibc's extra "flag" argument (> 0: reject %n in writable formats) is
// accepted and not acted on; the buffer bounds are checked as glibc checks them.
public static partial class GlibcCompatShim
{
    private static readonly AssemblerRegister64[] ArgumentRegisters = { rdi, rsi, rdx, rcx, r8, r9 };

    // The va_list frame of a variadic entry point: va_list (24 bytes) at rsp, the register save area
    // (6 general registers, then xmm0-7) at rsp+32, the caller's stack arguments above the return address.
    private const int VariadicFrame = 0xD8;
    private const int RegisterSaveArea = 32;
    private const int FloatSaveArea = RegisterSaveArea + 6 * 8;

    private static void EmitPrintfChecks(ShimAssembler s)
    {
        var a = s.Asm;

        // __vsprintf_chk(s, flag, slen, fmt, ap): slen == 0 or an output of slen bytes or more fails.
        // musl's vsnprintf refuses sizes above INT_MAX (EOVERFLOW); glibc passes (size_t)-1 for "unknown",
        // which cannot overflow anyway and goes to vsprintf.
        s.Function("__vsprintf_chk", () =>
        {
            a.test(rdx, rdx);
            a.jz(s.Fail);
            a.mov(eax, int.MaxValue);
            a.cmp(rdx, rax);
            a.ja(s.LabelOf("vsprintf.unbounded"));
            a.push(rbx);
            a.mov(rbx, rdx);
            a.mov(rsi, rdx);
            a.mov(rdx, rcx);
            a.mov(rcx, r8);
            s.Call("vsnprintf");
            a.test(eax, eax);
            a.js(s.LabelOf("vsprintf.done"));
            a.mov(ecx, eax);
            a.cmp(rcx, rbx);
            a.jae(s.Fail);
            s.Bind("vsprintf.done");
            a.pop(rbx);
            a.ret();
            s.Bind("vsprintf.unbounded");
            a.mov(rsi, rcx);
            a.mov(rdx, r8);
            s.TailCall("vsprintf");
        });

        // __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap): maxlen > slen fails.
        BoundedTailCall(s, "__vsnprintf_chk", needed: rsi, bound: rcx, "vsnprintf", () =>
        {
            a.mov(rdx, r8);
            a.mov(rcx, r9);
        });

        // __vfprintf_chk(fp, flag, fmt, ap), __vdprintf_chk(fd, ...), __vasprintf_chk(&p, ...),
        // __vsyslog_chk(priority, ...): drop the flag.
        foreach (var (name, target) in new[]
        {
            ("__vfprintf_chk", "vfprintf"), ("__vdprintf_chk", "vdprintf"), ("__vasprintf_chk", "vasprintf"),
            ("__vsyslog_chk", "vsyslog"),
        })
        {
            s.Function(name, () =>
            {
                a.mov(rsi, rdx);
                a.mov(rdx, rcx);
                s.TailCall(target);
            });
        }

        // __vprintf_chk(flag, fmt, ap)
        s.Function("__vprintf_chk", () =>
        {
            a.mov(rdi, rsi);
            a.mov(rsi, rdx);
            s.TailCall("vprintf");
        });

        // The variadic entry points pass a va_list of their own arguments to the v-variant above.
        Variadic(s, "__sprintf_chk", named: 4, "__vsprintf_chk");
        Variadic(s, "__snprintf_chk", named: 5, "__vsnprintf_chk");
        Variadic(s, "__fprintf_chk", named: 3, "__vfprintf_chk");
        Variadic(s, "__dprintf_chk", named: 3, "__vdprintf_chk");
        Variadic(s, "__asprintf_chk", named: 3, "__vasprintf_chk");
        Variadic(s, "__syslog_chk", named: 3, "__vsyslog_chk");
        Variadic(s, "__printf_chk", named: 2, "__vprintf_chk");
    }

    // Builds the System V va_list (gp_offset, fp_offset, overflow_arg_area, reg_save_area) the way a C
    // compiler does in a variadic prologue, then calls the shim's v-variant with it after the named ones.
    private static void Variadic(ShimAssembler s, string name, int named, string vVariant)
    {
        var a = s.Asm;
        s.Function(name, () =>
        {
            a.sub(rsp, VariadicFrame);   // 8 (return address) + 0xD8: rsp is 16-aligned for movaps and the call
            for (int i = 0; i < ArgumentRegisters.Length; i++)
                a.mov(__qword_ptr[rsp + RegisterSaveArea + 8 * i], ArgumentRegisters[i]);
            // al bounds the vector registers the caller used; saving all eight unconditionally is also correct.
            var xmms = new[] { xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7 };
            for (int i = 0; i < xmms.Length; i++)
                a.movaps(__xmmword_ptr[rsp + FloatSaveArea + 16 * i], xmms[i]);
            a.mov(__dword_ptr[rsp], named * 8);
            a.mov(__dword_ptr[rsp + 4], 6 * 8);
            a.lea(rax, __[rsp + VariadicFrame + 8]);
            a.mov(__qword_ptr[rsp + 8], rax);
            a.lea(rax, __[rsp + RegisterSaveArea]);
            a.mov(__qword_ptr[rsp + 16], rax);
            a.mov(ArgumentRegisters[named], rsp);
            s.Call(vVariant);
            a.add(rsp, VariadicFrame);
            a.ret();
        });
    }
}
