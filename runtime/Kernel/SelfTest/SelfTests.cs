#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Memory;

namespace Kernel.SelfTest
{
    // Deliberate faults and runtime checks, compiled only into the test kernel (runtime/KernelSelfTest)
    // and chosen with uk.selftest=NAME, so the integration tests can check how the kernel reports each
    // kind of fault and that the runtime paths (dispatch, traps, heap) work.
    internal static unsafe class SelfTests
    {
        private static BootInfo* s_bootInfo;

        public static void Run(BootInfo* bootInfo)
        {
            s_bootInfo = bootInfo;
            int length;
            byte* name = BootCommandLine.Option("uk.selftest", out length);
            if (name == null) return;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest: ");
            KernelConsole.WriteBytes(name, length);
            KernelConsole.WriteLine();

            if (BootCommandLine.OptionEquals("uk.selftest", "pagefault")) TouchUnmappedMemory();
            else if (BootCommandLine.OptionEquals("uk.selftest", "nullref")) ReadThroughNull();
            else if (BootCommandLine.OptionEquals("uk.selftest", "invalid-opcode")) Cpu.TriggerInvalidOpcode();
            else if (BootCommandLine.OptionEquals("uk.selftest", "gp")) WriteNonCanonical();
            else if (BootCommandLine.OptionEquals("uk.selftest", "throw")) ThrowFromKernel();
            else if (BootCommandLine.OptionEquals("uk.selftest", "bounds")) IndexOutOfRange();
            else if (BootCommandLine.OptionEquals("uk.selftest", "interface")) InterfaceDispatchSelfTest.CallThroughInterfaces();
            else if (BootCommandLine.OptionEquals("uk.selftest", "interface-missing")) InterfaceDispatchSelfTest.CallUnimplementedInterface();
            else if (BootCommandLine.OptionEquals("uk.selftest", "breakpoint")) StepOverBreakpoints();
            else if (BootCommandLine.OptionEquals("uk.selftest", "casts")) CastChecks.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "ring3")) UserModeSelfTest.RunProgram();
            else if (BootCommandLine.OptionEquals("uk.selftest", "ring3-fault")) UserModeSelfTest.RunWildWrite();
            else if (BootCommandLine.OptionEquals("uk.selftest", "stack-overflow")) KernelConsole.WriteDecimal(Recurse(1));
            else if (BootCommandLine.OptionEquals("uk.selftest", "bad-cast")) CastChecks.FailingCast();
            else if (BootCommandLine.OptionEquals("uk.selftest", "heap")) HeapRoundTrip();
            else if (BootCommandLine.OptionEquals("uk.selftest", "vfs")) VfsSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "timer")) TimerSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "clock")) ClockSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "time-syscalls")) TimeSyscallSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "random")) RandomSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "net-ping")) NetSelfTest.Ping();
            else if (BootCommandLine.OptionEquals("uk.selftest", "net-udp-echo")) NetSelfTest.UdpEcho();
            else if (BootCommandLine.OptionEquals("uk.selftest", "net-tcp-echo")) NetSelfTest.TcpEcho();
            else if (BootCommandLine.OptionEquals("uk.selftest", "acpi")) AcpiSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "smp")) SmpSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "locks")) LockSelfTest.Run();
            else if (BootCommandLine.OptionEquals("uk.selftest", "memory-layout")) AddressSpaceSelfTest.CheckLayout(s_bootInfo);
            else if (BootCommandLine.OptionEquals("uk.selftest", "smap")) AddressSpaceSelfTest.ReadUserPageOutsideWindow();
            else if (BootCommandLine.OptionEquals("uk.selftest", "smep")) AddressSpaceSelfTest.CallUserPage();
            else if (BootCommandLine.OptionEquals("uk.selftest", "write-text")) AddressSpaceSelfTest.WriteKernelText(s_bootInfo);
            else if (BootCommandLine.OptionEquals("uk.selftest", "exec-data")) AddressSpaceSelfTest.CallKernelData();
            else Panic.Fail("unknown uk.selftest value");
        }

        // Above the 4 GiB the boot page tables map, but canonical: a page fault, not a #GP.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void TouchUnmappedMemory() => *(ulong*)0x1_2345_6000UL = 42;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void ReadThroughNull()
        {
            int* pointer = (int*)(nuint)BootCommandLine.Count; // 0..few: inside the unmapped null page
            KernelConsole.WriteDecimal((ulong)*(pointer + 2));
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void WriteNonCanonical() => *(ulong*)0x8000_0000_0000_0000UL = 1;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void ThrowFromKernel() => throw new System.InvalidOperationException("selftest: deliberate throw in kernel code");

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void IndexOutOfRange()
        {
            int[] values = new int[4];
            int index = BootCommandLine.Count + 10;
            KernelConsole.WriteDecimal((ulong)values[index]);
        }

        // Unbounded recursion: each frame keeps a buffer live so the stack runs out quickly.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static ulong Recurse(ulong depth)
        {
            ulong* scratch = stackalloc ulong[32];
            scratch[depth & 31] = depth;
            return Recurse(depth + 1) + scratch[(depth + 1) & 31];
        }

        // int3 is a trap the kernel reports and returns from: the interrupt entry and exit path must bring
        // back every register, including the SSE state the C# code keeps in xmm registers.
        private static void StepOverBreakpoints()
        {
            double sum = 0.5;
            long product = 1;
            for (int i = 1; i <= 3; i++)
            {
                Cpu.Breakpoint();
                sum += i * 0.25;
                product *= i + 1;
            }
            bool ok = InterruptDispatcher.BreakpointCount == 3 && sum == 2.0 && product == 24;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest breakpoint: ");
            KernelConsole.WriteDecimal(InterruptDispatcher.BreakpointCount);
            KernelConsole.WriteLine(ok ? " breakpoints stepped over, state intact (ok)" : " breakpoints, state CORRUPTED");
            if (!ok) Machine.Exit(Machine.PanicExitStatus);
        }

        // Many allocations and frees of mixed sizes must leave the heap where it started.
        private static void HeapRoundTrip()
        {
            ulong before = KernelMemory.Heap->LiveAllocations;
            object[] live = new object[64];
            for (int round = 0; round < 200; round++)
            {
                int slot = round % live.Length;
                if (live[slot] != null) KernelMemory.Free(live[slot]);
                live[slot] = new byte[(round * 37) % 3000 + 1];
            }
            for (int i = 0; i < live.Length; i++) if (live[i] != null) KernelMemory.Free(live[i]);
            KernelMemory.Free(live);
            ulong after = KernelMemory.Heap->LiveAllocations;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest heap: live blocks before ");
            KernelConsole.WriteDecimal(before);
            KernelConsole.Write(", after ");
            KernelConsole.WriteDecimal(after);
            KernelConsole.Write(", invalid frees ");
            KernelConsole.WriteDecimal(KernelMemory.Heap->Statistics.InvalidFrees);
            KernelConsole.WriteLine(before == after ? " (ok)" : " (LEAK)");
            if (before != after) Machine.Exit(Machine.PanicExitStatus);
        }
    }
}
#endif
