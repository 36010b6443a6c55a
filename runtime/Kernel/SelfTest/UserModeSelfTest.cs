#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Memory;

namespace Kernel.SelfTest
{
    // uk.selftest=ring3: a few bytes of machine code run in ring 3 and talk to the kernel only through
    // `syscall` (write, an unknown call, exit_group) -- the path the app will take. uk.selftest=
    // ring3-fault: ring 3 writes into the kernel image, which its supervisor-only pages must refuse.
    internal static unsafe class UserModeSelfTest
    {
        private const ulong PageSize = 4096;
        private const int MessageOffset = 256;
        private const string Message = "hello from ring 3 via syscall\n";

        // rdi = the message. syscall 400 (unknown: -ENOSYS, reported once); write(1, msg, len);
        // exit_group(bytes written); ud2 should exit_group return.
        private const string Program =
            "\u00b8\u0090\u0001\u0000\u0000" +     // mov eax, 400
            "\u000f\u0005" +                       // syscall
            "\u00b8\u0001\u0000\u0000\u0000" +     // mov eax, 1 (write)
            "\u0048\u0089\u00fe" +                 // mov rsi, rdi
            "\u00bf\u0001\u0000\u0000\u0000" +     // mov edi, 1
            "\u00ba\u001e\u0000\u0000\u0000" +     // mov edx, 30
            "\u000f\u0005" +                       // syscall
            "\u0089\u00c7" +                       // mov edi, eax
            "\u00b8\u00e7\u0000\u0000\u0000" +     // mov eax, 231 (exit_group)
            "\u000f\u0005" +                       // syscall
            "\u000f\u000b";                        // ud2

        private const string WildWrite =
            "\u00c6\u0004\u0025\u0000\u0000\u0010\u0000\u0001" +   // mov byte [0x100000], 1: the kernel image
            "\u000f\u000b";                                         // ud2

        public static void RunProgram() => Run(Program);
        public static void RunWildWrite() => Run(WildWrite);

        private static void Run(string code)
        {
            ulong codePage = KernelMemory.Pages->AllocateZeroedPages(1);
            ulong stackPage = KernelMemory.Pages->AllocateZeroedPages(1);
            ulong kernelStack = KernelMemory.Pages->AllocateZeroedPages(4);
            if (codePage == 0 || stackPage == 0 || kernelStack == 0) Panic.Fail("selftest ring3: out of pages");

            byte* text = (byte*)codePage;
            for (int i = 0; i < code.Length; i++) text[i] = (byte)code[i];
            for (int i = 0; i < Message.Length; i++) text[MessageOffset + i] = (byte)Message[i];
            ulong userCode = SelfTestUserPages.Map(codePage, 1, executable: true);
            ulong userStack = SelfTestUserPages.Map(stackPage, 1);

            Cpu.SetKernelStack(kernelStack + 4 * PageSize);
            Cpu.EnterUserMode(userCode, userStack + PageSize, userCode + MessageOffset);
        }
    }
}
#endif
