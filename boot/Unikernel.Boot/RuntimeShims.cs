using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The Rhp* helpers that ILC-compiled code calls. The kernel has no garbage collector and no
/// GC-mode transitions, so most of them collapse to a store or a <c>ret</c>; the throw and dispatch
/// helpers forward to C# (<c>[UnmanagedCallersOnly]</c>) code in kernel.o.
/// </summary>
public static class RuntimeShims
{
    public const string KernelThrow = "uk_kernel_throw";
    public const string KernelFailFast = "uk_kernel_failfast";
    public const string InterfaceDispatch = "uk_interface_dispatch";

    public static readonly string[] NoOpHelpers =
    {
        "RhpGcPoll", "RhpPInvoke", "RhpPInvokeReturn", "RhpReversePInvoke", "RhpReversePInvokeReturn",
    };

    private const int SavedGprBytes = 6 * 8;
    private const int SavedXmmBytes = 8 * 16;

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        foreach (var name in NoOpHelpers)
            e.Function(name, isGlobal: true, () => a.ret());

        // Without a GC there is no card table to mark: a reference store is a plain store.
        foreach (var name in new[] { "RhpAssignRef", "RhpCheckedAssignRef" })
        {
            e.Function(name, isGlobal: true, () =>
            {
                a.mov(__qword_ptr[rdi], rsi);
                a.ret();
            });
        }

        // rcx is the scratch register CoreCLR's own version uses; the JIT treats it as clobbered.
        e.Function("RhpByRefAssignRef", isGlobal: true, () =>
        {
            a.mov(rcx, __qword_ptr[rsi]);
            a.mov(__qword_ptr[rdi], rcx);
            a.add(rdi, 8);
            a.add(rsi, 8);
            a.ret();
        });

        e.Function("RhpCheckedLockCmpXchg", isGlobal: true, () =>
        {
            a.mov(rax, rdx);
            a.@lock.cmpxchg(__qword_ptr[rdi], rsi);
            a.ret();
        });

        e.Function("RhpCheckedXchg", isGlobal: true, () =>
        {
            a.mov(rax, rsi);
            a.xchg(__qword_ptr[rdi], rax);
            a.ret();
        });

        // The return address is the throw site; a tail jump keeps the caller's frame for the
        // stack trace and the stack alignment of a normal call.
        e.Function("RhpThrowEx", isGlobal: true, () =>
        {
            a.mov(rsi, __qword_ptr[rsp]);
            e.JumpExternal(KernelThrow);
        });

        e.Function("RhpFallbackFailFast", isGlobal: true, () =>
        {
            a.mov(rdi, __qword_ptr[rsp]);
            e.JumpExternal(KernelFailFast);
        });

        // Called in place of the interface method with the method's own arguments still in the
        // argument registers (r11 = dispatch cell, [rsp] = call site): resolve the target in C#, restore every
        // argument register, tail-jump to the target.
        e.Function("RhpInitialDynamicInterfaceDispatch", isGlobal: true, () =>
        {
            var gprs = new[] { rdi, rsi, rdx, rcx, r8, r9 };
            var xmms = new[] { xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7 };

            // Entry rsp is 8 mod 16; after push rbp it is 16-aligned, and the save area is a multiple
            // of 16, so movaps is safe and the call below sees an aligned stack.
            a.push(rbp);
            a.mov(rbp, rsp);
            a.sub(rsp, SavedGprBytes + SavedXmmBytes);
            for (int i = 0; i < gprs.Length; i++)
                a.mov(__qword_ptr[rsp + 8 * i], gprs[i]);
            for (int i = 0; i < xmms.Length; i++)
                a.movaps(__xmmword_ptr[rsp + (SavedGprBytes + 16 * i)], xmms[i]);

            a.mov(rsi, r11);
            a.mov(rdx, __qword_ptr[rbp + 8]);   // the call site, so a failure can name the caller
            e.CallExternal(InterfaceDispatch);

            for (int i = 0; i < xmms.Length; i++)
                a.movaps(xmms[i], __xmmword_ptr[rsp + (SavedGprBytes + 16 * i)]);
            for (int i = 0; i < gprs.Length; i++)
                a.mov(gprs[i], __qword_ptr[rsp + 8 * i]);
            a.mov(rsp, rbp);
            a.pop(rbp);
            a.jmp(rax);
        });
    }
}
