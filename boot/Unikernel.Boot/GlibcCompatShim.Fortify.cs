using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

// The _FORTIFY_SOURCE entry points: the compiler passes the destination's object size as an extra
// argument (dl below), glibc checks it and fails before writing past the object.
public static partial class GlibcCompatShim
{
    // __memcpy_chk(d, s, n, dl) and kin: n > dl fails.
    private static void EmitMemoryChecks(ShimAssembler s)
    {
        foreach (var (name, target) in new[]
        {
            ("__memcpy_chk", "memcpy"), ("__memmove_chk", "memmove"), ("__mempcpy_chk", "mempcpy"),
            ("__memset_chk", "memset"), ("__strncpy_chk", "strncpy"), ("__stpncpy_chk", "stpncpy"),
        })
            BoundedTailCall(s, name, needed: rdx, bound: rcx, target);
        // __explicit_bzero_chk(d, n, dl)
        BoundedTailCall(s, "__explicit_bzero_chk", needed: rsi, bound: rdx, "explicit_bzero");
    }

    private static void EmitStringChecks(ShimAssembler s)
    {
        var a = s.Asm;
        // __strcpy_chk(d, s, dl): strlen(s) >= dl fails, else memcpy(d, s, len + 1). __stpcpy_chk returns d + len.
        foreach (var (name, returnsEnd) in new[] { ("__strcpy_chk", false), ("__stpcpy_chk", true) })
        {
            s.Function(name, () =>
            {
                a.push(rbx);
                a.push(r12);
                a.push(r13);
                a.mov(rbx, rdi);
                a.mov(r12, rsi);
                a.mov(r13, rdx);
                a.mov(rdi, rsi);
                s.Call("strlen");
                a.cmp(rax, r13);
                a.jae(s.Fail);
                a.mov(r13, rax);
                a.lea(rdx, __[rax + 1]);
                a.mov(rdi, rbx);
                a.mov(rsi, r12);
                s.Call("memcpy");
                if (returnsEnd)
                    a.lea(rax, __[rbx + r13]);
                else
                    a.mov(rax, rbx);
                a.pop(r13);
                a.pop(r12);
                a.pop(rbx);
                a.ret();
            });
        }

        // __strcat_chk(d, s, dl): strlen(d) + strlen(s) >= dl fails, else the copy after d's text.
        // __strncat_chk(d, s, n, dl): the same with at most n bytes of s, then a terminator.
        foreach (var (name, bounded) in new[] { ("__strcat_chk", false), ("__strncat_chk", true) })
        {
            s.Function(name, () =>
            {
                a.push(rbx);
                a.push(r12);
                a.push(r13);
                a.push(r14);
                a.push(r15);
                a.mov(rbx, rdi);
                a.mov(r12, rsi);
                if (bounded)
                {
                    a.mov(r15, rdx);
                    a.mov(r13, rcx);
                }
                else
                    a.mov(r13, rdx);
                s.Call("strlen");
                a.mov(r14, rax);
                a.mov(rdi, r12);
                if (bounded)
                {
                    a.mov(rsi, r15);
                    s.Call("strnlen");
                }
                else
                    s.Call("strlen");
                a.lea(rcx, __[r14 + rax]);
                a.cmp(rcx, r13);
                a.jae(s.Fail);
                a.mov(r15, rax);
                a.lea(rdi, __[rbx + r14]);
                a.mov(rsi, r12);
                a.mov(rdx, rax);
                s.Call("memcpy");
                a.add(r14, r15);
                a.mov(__byte_ptr[rbx + r14], 0);
                a.mov(rax, rbx);
                a.pop(r15);
                a.pop(r14);
                a.pop(r13);
                a.pop(r12);
                a.pop(rbx);
                a.ret();
            });
        }
    }

    private static void EmitIoChecks(ShimAssembler s)
    {
        var a = s.Asm;
        // __read_chk(fd, buf, n, buflen), __pread_chk(fd, buf, n, offset, buflen), __recv_chk(fd, buf, n, buflen,
        // flags), __getcwd_chk(buf, size, buflen), __readlink_chk(path, buf, n, buflen): n > buflen fails.
        BoundedTailCall(s, "__read_chk", needed: rdx, bound: rcx, "read");
        BoundedTailCall(s, "__pread_chk", needed: rdx, bound: r8, "pread");
        BoundedTailCall(s, "__recv_chk", needed: rdx, bound: rcx, "recv", () => a.mov(ecx, r8d));
        BoundedTailCall(s, "__getcwd_chk", needed: rsi, bound: rdx, "getcwd");
        BoundedTailCall(s, "__readlink_chk", needed: rdx, bound: rcx, "readlink");

        // __fread_chk(ptr, ptrlen, size, n, fp): size * n overflowing or above ptrlen fails.
        s.Function("__fread_chk", () =>
        {
            a.mov(r9, rdx);
            a.mov(rax, rdx);
            a.mul(rcx);
            a.jc(s.Fail);
            a.cmp(rax, rsi);
            a.ja(s.Fail);
            a.mov(rsi, r9);
            a.mov(rdx, rcx);
            a.mov(rcx, r8);
            s.TailCall("fread");
        });

        // long __fdelt_chk(long fd): FD_SET's word index, for 0 <= fd < FD_SETSIZE (1024) only.
        s.Function("__fdelt_chk", () =>
        {
            a.mov(rax, rdi);
            a.cmp(rdi, 1024);
            a.jae(s.LabelOf("fdelt.fail"));
            a.shr(rax, 6);
            a.ret();
            s.Bind("fdelt.fail");
            FailWith(s, FdSetRange);
        });
    }
}
