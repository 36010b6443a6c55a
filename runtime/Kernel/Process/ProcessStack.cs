using Kernel.Boot;
using Kernel.Memory;

namespace Kernel.Process
{
    // The initial stack of a Linux process, which musl's _start reads (System V x86-64 ABI, 3.4.1):
    //
    //   rsp ->  argc, argv[0..argc-1], NULL, envp[..], NULL, auxv (type, value) pairs ending in AT_NULL
    //           ... strings (argv, environment, AT_PLATFORM, AT_EXECFN) and the 16 AT_RANDOM bytes
    //   StackTop
    //
    // argv comes from the kernel command line (Boot/CommandLine.cs), the environment from the configuration sources
    // (Boot/BootEnvironment.cs); argv[0] is the
    // app's path in the VFS (a copy of AT_EXECFN's string, in the argument area). Written through the app's addresses: the stack area faults in on the way.
    internal static unsafe class ProcessStack
    {
        private const string Platform = "x86_64";
        private const ulong AtNull = 0, AtPhdr = 3, AtPhent = 4, AtPhnum = 5, AtPagesz = 6, AtBase = 7, AtFlags = 8, AtEntry = 9;
        private const ulong AtUid = 11, AtEuid = 12, AtGid = 13, AtEgid = 14, AtPlatform = 15, AtHwcap = 16, AtClktck = 17;
        private const ulong AtSecure = 23, AtRandom = 25, AtHwcap2 = 26, AtExecfn = 31;
        private const int AuxiliaryEntries = 19;
        private const ulong MaxStringBytes = 64 * 1024;

        /// <summary>The initial rsp, or 0 when the strings do not fit.</summary>
        public static ulong Build(BootInfo* bootInfo)
        {
            ulong top = UserAddressSpace.CreateMainStack();
            ulong cursor = top;

            cursor -= 16;
            ulong random = cursor;
            Entropy.Random.Fill((byte*)random, 16);
            ulong platform = PushString(ref cursor, Platform);
            byte[] executablePath = Files.Image.ImageFileSystem.ExecutablePath;
            cursor -= (ulong)executablePath.Length + 1;
            ulong execfn = cursor;
            fixed (byte* path = executablePath) AppendBytes(ref cursor, path, executablePath.Length);
            cursor = execfn;

            int argumentCount = 1, environmentCount = BootEnvironment.Count;
            for (int i = 0; i < BootCommandLine.Count; i++)
                if (BootCommandLine.Tokens[i].Kind == CommandLineTokenKind.Argument) argumentCount++;
            // The strings in one ascending run, arguments then environment, as Linux lays them out: the
            // runs are what /proc/self/cmdline and environ show (ProcessIdentity).
            ulong argumentBytes = (ulong)executablePath.Length + 1, environmentBytes = 0;
            for (int i = 0; i < BootCommandLine.Count; i++)
            {
                CommandLineToken* token = &BootCommandLine.Tokens[i];
                if (token->Kind == CommandLineTokenKind.Argument) argumentBytes += (ulong)token->Length + 1;
            }
            for (int i = 0; i < environmentCount; i++) environmentBytes += (ulong)BootEnvironment.Lengths[i] + 1;
            if (top - cursor + argumentBytes + environmentBytes > MaxStringBytes) return 0;
            cursor -= environmentBytes;
            ulong environmentCursor = cursor;
            ProcessIdentity.EnvironmentStart = cursor;
            ProcessIdentity.EnvironmentEnd = cursor + environmentBytes;
            cursor -= argumentBytes;
            ulong argumentCursor = cursor;
            ProcessIdentity.ArgumentsStart = cursor;
            ProcessIdentity.ArgumentsEnd = cursor + argumentBytes;

            ulong* argv = stackalloc ulong[argumentCount];
            ulong* envp = stackalloc ulong[environmentCount + 1];
            argv[0] = argumentCursor;
            for (int i = 0; i < executablePath.Length; i++) ((byte*)argumentCursor)[i] = executablePath[i];
            ((byte*)argumentCursor)[executablePath.Length] = 0;
            argumentCursor += (ulong)executablePath.Length + 1;
            int a = 1, e = 0;
            for (int i = 0; i < BootCommandLine.Count; i++)
            {
                CommandLineToken* token = &BootCommandLine.Tokens[i];
                if (token->Kind == CommandLineTokenKind.Argument) argv[a++] = AppendBytes(ref argumentCursor, BootCommandLine.Text + token->Start, token->Length);
            }
            for (; e < environmentCount; e++) envp[e] = AppendBytes(ref environmentCursor, BootEnvironment.Entries[e], BootEnvironment.Lengths[e]);

            ulong words = 1 + (ulong)argumentCount + 1 + (ulong)environmentCount + 1 + 2 * AuxiliaryEntries;
            cursor &= ~15UL;
            if ((words & 1) != 0) cursor -= 8;
            cursor -= words * 8;
            ulong* stack = (ulong*)cursor;
            int w = 0;
            ProcessIdentity.InitialStackPointer = cursor;
            stack[w++] = (ulong)argumentCount;
            for (int i = 0; i < argumentCount; i++) stack[w++] = argv[i];
            stack[w++] = 0;
            for (int i = 0; i < environmentCount; i++) stack[w++] = envp[i];
            stack[w++] = 0;

            uint* cpuid = stackalloc uint[4];
            Arch.Cpu.CpuId(1, 0, cpuid);
            Aux(stack, ref w, AtPhdr, bootInfo->AppProgramHeaders);
            Aux(stack, ref w, AtPhent, 56);
            Aux(stack, ref w, AtPhnum, bootInfo->AppProgramHeaderCount);
            Aux(stack, ref w, AtPagesz, PageAllocator.PageSize);
            Aux(stack, ref w, AtBase, 0);
            Aux(stack, ref w, AtFlags, 0);
            Aux(stack, ref w, AtEntry, bootInfo->AppEntry);
            Aux(stack, ref w, AtUid, 0);
            Aux(stack, ref w, AtEuid, 0);
            Aux(stack, ref w, AtGid, 0);
            Aux(stack, ref w, AtEgid, 0);
            Aux(stack, ref w, AtPlatform, platform);
            Aux(stack, ref w, AtHwcap, cpuid[3]);
            Aux(stack, ref w, AtClktck, 100);
            Aux(stack, ref w, AtSecure, 0);
            Aux(stack, ref w, AtRandom, random);
            Aux(stack, ref w, AtHwcap2, 0);
            Aux(stack, ref w, AtExecfn, execfn);
            Aux(stack, ref w, AtNull, 0);
            return cursor;
        }

        private static void Aux(ulong* stack, ref int w, ulong type, ulong value)
        {
            stack[w++] = type;
            stack[w++] = value;
        }

        private static ulong PushString(ref ulong cursor, string text)
        {
            cursor -= (ulong)text.Length + 1;
            byte* p = (byte*)cursor;
            for (int i = 0; i < text.Length; i++) p[i] = (byte)text[i];
            p[text.Length] = 0;
            return cursor;
        }

        private static ulong AppendBytes(ref ulong cursor, byte* bytes, int length)
        {
            ulong start = cursor;
            byte* p = (byte*)cursor;
            for (int i = 0; i < length; i++) p[i] = bytes[i];
            p[length] = 0;
            cursor += (ulong)length + 1;
            return start;
        }
    }
}
