using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// XSAVE/XRSTOR of the register state beyond x87/SSE (AVX's upper halves and later): the interrupt
/// entry saves only the FXSAVE image, which is all kernel code touches, so the scheduler saves and
/// restores the rest when it switches between app threads. uk_xsave(area, mask), uk_xrstor(area,
/// mask): area 64-byte aligned, mask = the XCR0 components to move (edx:eax).
/// </summary>
public static class ExtendedStateHelpers
{
    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;
        e.Function("uk_xsave", isGlobal: true, () =>
        {
            a.mov(rax, rsi);
            a.mov(rdx, rsi);
            a.shr(rdx, 32);
            a.xsave64(__[rdi]);
            a.ret();
        });
        e.Function("uk_xrstor", isGlobal: true, () =>
        {
            a.mov(rax, rsi);
            a.mov(rdx, rsi);
            a.shr(rdx, 32);
            a.xrstor64(__[rdi]);
            a.ret();
        });
    }
}
