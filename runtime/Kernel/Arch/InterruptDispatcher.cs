using System.Runtime.InteropServices;
using Kernel.Diagnostics;

namespace Kernel.Arch
{
    // Every interrupt and CPU exception arrives here from the boot stub's common entry.
    internal static unsafe class InterruptDispatcher
    {
        public const int FirstExternalVector = 32;

        [UnmanagedCallersOnly(EntryPoint = "uk_interrupt")]
        private static InterruptFrame* Dispatch(InterruptFrame* frame)
        {
            if (frame->Vector < FirstExternalVector)
                CpuExceptionReport.ReportAndStop(frame);
            // No device interrupts are enabled yet; anything else is spurious and simply returns.
            return frame;
        }
    }
}
