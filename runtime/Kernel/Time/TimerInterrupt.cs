using Kernel.Arch;

namespace Kernel.Time
{
    // The local APIC timer's interrupt: the handler TimeStartup registers for InterruptVectors.Timer
    // (Arch/InterruptHandlers), run with interrupts off. It counts the tick, acknowledges it, then hands
    // the interrupted frame to Hook -- the scheduler's entry, which returns the frame to resume (another
    // thread's, to switch). Without a hook the interrupted code simply continues.
    internal static unsafe class TimerInterrupt
    {
        /// <summary>Timer interrupts taken since boot.</summary>
        public static ulong Ticks;

        /// <summary>Called on every tick after the EOI; returns the frame to resume. Null: resume the
        /// interrupted one. The scheduler sets it (a plain function pointer: no delegates in the kernel).</summary>
        public static delegate*<InterruptFrame*, InterruptFrame*> Hook;

        public static InterruptFrame* Handle(InterruptFrame* frame)
        {
            Ticks++;
            LocalApic.EndOfInterrupt();
            var hook = Hook;
            return hook == null ? frame : hook(frame);
        }
    }
}
