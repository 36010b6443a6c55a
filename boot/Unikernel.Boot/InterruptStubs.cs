using System.Buffers.Binary;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The 256 vector entry stubs and the common interrupt entry. Every stub leaves the same frame shape
/// (error code, vector) so that <c>uk_isr_common</c> builds one <c>InterruptFrame</c> layout for all
/// vectors.
/// </summary>
public static class InterruptStubs
{
    public const string StubsSymbol = "uk_isr_stubs";
    public const string CommonSymbol = "uk_isr_common";
    public const string Handler = "uk_interrupt";
    public const string ResumeSymbol = "uk_resume_frame";
    public const int StubSize = 16;
    public const int FxSaveAreaSize = 512;

    /// <summary>Push order of the general-purpose registers; r15 ends up at the lowest address,
    /// right above the FXSAVE area, as <c>InterruptFrame</c> expects.</summary>
    public static readonly string[] SavedRegisterOrder =
        { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

    private const byte Int3 = 0xCC;
    private const int PushImm8Size = 2;
    private const int PushImm32Size = 5;
    private const int JmpRel32Size = 5;

    public static void Emit(CodeEmitter e)
    {
        var a = e.Asm;

        e.Function(StubsSymbol, isGlobal: true, () =>
        {
            for (int vector = 0; vector < DescriptorTables.IdtVectors; vector++)
            {
                int stubStart = vector * StubSize;
                int size = 0;
                if (!DescriptorTables.CpuPushesErrorCode(vector))
                {
                    a.push(0);
                    size += PushImm8Size;
                }
                // push imm8 sign-extends, so vectors >= 128 need the imm32 form (Iced picks it).
                a.push(vector);
                size += vector < 128 ? PushImm8Size : PushImm32Size;

                // uk_isr_common directly follows the stubs (checked in BootStub). The jump is written
                // as rel32 by hand because Iced would shorten the last stubs' jumps to rel8 and break
                // the fixed stub size.
                int jumpEnd = stubStart + size + JmpRel32Size;
                int rel32 = DescriptorTables.IdtVectors * StubSize - jumpEnd;
                var jump = new byte[JmpRel32Size];
                jump[0] = 0xE9;
                BinaryPrimitives.WriteInt32LittleEndian(jump.AsSpan(1), rel32);
                a.db(jump);
                size += JmpRel32Size;

                for (; size < StubSize; size++)
                    a.db(Int3);
            }
        });

        e.Function(CommonSymbol, isGlobal: true, () =>
        {
            a.push(rax);
            a.push(rbx);
            a.push(rcx);
            a.push(rdx);
            a.push(rsi);
            a.push(rdi);
            a.push(rbp);
            a.push(r8);
            a.push(r9);
            a.push(r10);
            a.push(r11);
            a.push(r12);
            a.push(r13);
            a.push(r14);
            a.push(r15);
            // The CPU aligned rsp to 16 before its 5-quadword frame; with error code, vector and 15
            // registers (22 quadwords in all) rsp is 16-byte aligned here, as fxsave64 and the SysV
            // call require.
            a.sub(rsp, FxSaveAreaSize);
            a.fxsave64(__[rsp]);
            a.cld();
            a.mov(rdi, rsp);
            e.CallExternal(Handler);
            // The handler returns the frame to resume (this one, or another thread's); the restore path
            // below is also the scheduler's way into a thread that has never run.
            a.mov(rdi, rax);
        });

        // uk_resume_frame(frame): falls straight through from uk_isr_common. Switching threads is just
        // loading rsp with the other thread's frame, which sits at the top of that thread's kernel stack.
        e.Function(ResumeSymbol, isGlobal: true, () =>
        {
            a.mov(rsp, rdi);
            a.fxrstor64(__[rsp]);
            a.add(rsp, FxSaveAreaSize);
            a.pop(r15);
            a.pop(r14);
            a.pop(r13);
            a.pop(r12);
            a.pop(r11);
            a.pop(r10);
            a.pop(r9);
            a.pop(r8);
            a.pop(rbp);
            a.pop(rdi);
            a.pop(rsi);
            a.pop(rdx);
            a.pop(rcx);
            a.pop(rbx);
            a.pop(rax);
            a.add(rsp, 16); // vector and error code
            a.iretq();
        });
    }
}
