namespace Kernel.Arch
{
    // The external interrupts' handlers, one slot per vector, filled at start-up by the owner InterruptVectors
    // names (the timer by Time/TimeStartup, the network card's line by Net/NetworkStack), so that Arch knows no
    // driver: InterruptDispatcher only looks the vector up. A handler runs with interrupts off, acknowledges its
    // own interrupt (LocalApic.EndOfInterrupt, before or after its work as its device needs) and returns the frame
    // to resume, or null for the usual one: the scheduler's choice after an interrupt of the app, the interrupted
    // frame otherwise. A vector without a handler (the APIC's spurious vector, which takes no EOI) is ignored.
    internal static unsafe class InterruptHandlers
    {
        private const int Vectors = 256;

        // Function pointers as plain words in a fixed buffer: no array to allocate, nothing for the GC to see.
        private struct Table { public fixed ulong Handlers[Vectors]; }
        private static Table s_table;

        public static void Register(byte vector, delegate*<InterruptFrame*, InterruptFrame*> handler)
        {
            fixed (Table* t = &s_table) t->Handlers[vector] = (ulong)handler;
        }

        /// <summary>The handler registered for <paramref name="vector"/>, or null.</summary>
        public static delegate*<InterruptFrame*, InterruptFrame*> Find(ulong vector)
        {
            if (vector >= Vectors) return null;
            fixed (Table* t = &s_table) return (delegate*<InterruptFrame*, InterruptFrame*>)t->Handlers[vector];
        }
    }
}
