using Kernel.Arch;
using Kernel.Console;
using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.Signals
{
    // CPU exceptions raised by app code become the signals Linux sends for them, with the same si_code
    // and si_addr, so the .NET runtime turns them into NullReferenceException, DivideByZeroException,
    // or its own crash report.
    internal static unsafe class FaultSignals
    {
        private const int DivideError = 0, Debug = 1, Breakpoint = 3, Overflow = 4, BoundRange = 5, InvalidOpcode = 6;
        private const int StackSegment = 12, GeneralProtection = 13, PageFault = 14, X87 = 16, Alignment = 17, Simd = 19;
        private const ulong PageFaultWrite = 2, PageFaultFetch = 16;
        private const int OutOfMemoryStatus = 128 + SignalNumbers.SIGKILL;

        /// <summary>
        /// A page fault on app memory, from the app or from the kernel touching it for a system call:
        /// true when demand paging resolved it and the access can simply be retried.
        /// </summary>
        public static bool TryResolvePageFault(InterruptFrame* frame, ulong address)
        {
            bool write = (frame->ErrorCode & PageFaultWrite) != 0;
            bool fetch = (frame->ErrorCode & PageFaultFetch) != 0;
            ulong userRsp = (frame->Cs & 3) == 3 ? frame->Rsp : (Scheduler.Current != null ? Scheduler.Current.Frame->Rsp : 0);
            if (UserAddressSpace.HandleFault(address, write, fetch, userRsp)) return true;
            if (UserAddressSpace.OutOfMemory) ReportOutOfMemory(address);
            return false;
        }

        /// <summary>Turns the current thread's fault into its signal (forced: a blocked or ignored fault signal kills).</summary>
        public static void Raise(InterruptFrame* frame, ulong faultAddress)
        {
            SignalInfo info = default;
            int signal;
            switch ((int)frame->Vector)
            {
                case DivideError: signal = SignalNumbers.SIGFPE; info.Code = SignalInfo.FpeIntegerDivide; info.Field0 = frame->Rip; break;
                case X87:
                case Simd: signal = SignalNumbers.SIGFPE; info.Code = 0; info.Field0 = frame->Rip; break;
                // int3 (its gate is open to ring 3): rip is already past it, si_code SI_KERNEL, as Linux.
                case Breakpoint: signal = SignalNumbers.SIGTRAP; info.Code = SignalInfo.CodeKernel; break;
                // The app sets no hardware breakpoints, so a #DB from ring 3 is TF's single step (or icebp).
                case Debug: signal = SignalNumbers.SIGTRAP; info.Code = SignalInfo.TrapTrace; info.Field0 = frame->Rip; break;
                // Linux's exc_stack_segment: SIGBUS, not SIGSEGV.
                case StackSegment: signal = SignalNumbers.SIGBUS; info.Code = SignalInfo.CodeKernel; break;
                case InvalidOpcode: signal = SignalNumbers.SIGILL; info.Code = SignalInfo.IllIllegalOperand; info.Field0 = frame->Rip; break;
                case Alignment: signal = SignalNumbers.SIGBUS; info.Code = SignalInfo.BusAddressAlignment; break;
                case PageFault:
                    signal = SignalNumbers.SIGSEGV;
                    int index;
                    // Inside an area the access broke its protection; anywhere else nothing is mapped.
                    info.Code = UserAddressSpace.TryFind(faultAddress, out index) ? SignalInfo.SegvAccessError : SignalInfo.SegvMapError;
                    info.Field0 = faultAddress;
                    break;
                case Overflow:
                case BoundRange:
                case GeneralProtection:
                default: signal = SignalNumbers.SIGSEGV; info.Code = SignalInfo.CodeKernel; break;
            }
            info.Number = signal;
            SignalState.Force(Scheduler.Current, signal, &info);
        }

        private static void ReportOutOfMemory(ulong address)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("out of memory: no physical page for app address ");
            KernelConsole.WriteHex(address);
            KernelConsole.Write("; the app has ");
            KernelConsole.WriteDecimal(UserAddressSpace.CommittedPages * 4 / 1024);
            KernelConsole.Write(" MiB committed of ");
            KernelConsole.WriteDecimal(KernelMemory.RamBytes >> 20);
            KernelConsole.WriteLine(" MiB RAM; killing it (SIGKILL)");
            Machine.Exit(OutOfMemoryStatus);
        }
    }
}
