using Kernel.Arch;
using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Diagnostics
{
    // What the console shows when the app dies of a fault: its registers and the chain of return
    // addresses its frame pointers lead to (NativeAOT code keeps rbp frames; musl's C code may not, so
    // the walk stops at the first frame that does not look like one).
    internal static unsafe class AppFaultReport
    {
        private const int MaxFrames = 32;

        public static void WriteRegistersAndStack(InterruptFrame* frame)
        {
            CpuExceptionReport.WriteRegisters(frame);
            KernelConsole.Prefix();
            KernelConsole.WriteLine("app stack (frame pointers):");
            WriteFrame(frame->Rip);
            ulong rbp = frame->Rbp;
            for (int i = 0; i < MaxFrames && rbp != 0 && (rbp & 7) == 0 && UserAddressSpace.IsAccessible(rbp, 16, false); i++)
            {
                ulong returnAddress = ((ulong*)rbp)[1];
                ulong callerFrame = ((ulong*)rbp)[0];
                if (returnAddress == 0) break;
                WriteFrame(returnAddress);
                if (callerFrame <= rbp) break;
                rbp = callerFrame;
            }
        }

        private static void WriteFrame(ulong address)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("  at ");
            StackTrace.WriteLocation(address);
            KernelConsole.WriteLine();
        }
    }
}
