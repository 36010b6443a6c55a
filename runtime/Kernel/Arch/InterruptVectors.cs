namespace Kernel.Arch
{
    // Who gets which interrupt vector, in one place: the companion of InterruptHandlers, whose slots the
    // owners named here fill. 0-31 are CPU exceptions and 256 is the system-call pseudo vector
    // (InterruptDispatcher); the local APIC delivers the external ones, 32-255.
    internal static class InterruptVectors
    {
        /// <summary>The first vector that is not a CPU exception.</summary>
        public const int FirstExternal = 32;
        /// <summary>The local APIC timer: the scheduler's tick (Time/TimerInterrupt).</summary>
        public const byte Timer = 32;
        /// <summary>The network card's interrupt line, routed through the I/O APIC by its driver
        /// (Devices/Virtio/VirtioNet) and handled by Net/NetworkStack.</summary>
        public const byte Network = 33;
        /// <summary>ACPI's power button: the SCI on pc/q35, the Generic Event Device's line on microvm (Devices/Acpi/AcpiEvents).</summary>
        public const byte AcpiEvent = 34;
        /// <summary>The i8042's keyboard line, IRQ 1: Firecracker's Ctrl-Alt-Del (Devices/Keyboard8042).</summary>
        public const byte Keyboard = 35;
        /// <summary>The 8259 PICs are moved here (0xE0-0xEF), away from the CPU exceptions their reset
        /// bases overlap, and kept masked.</summary>
        public const byte LegacyPicBase = 0xE0;
        /// <summary>Inter-processor: "run the scheduler" (a wake-up or a signal for a thread on another CPU; Threads).
        /// An ordinary kernel entry. Vectors 0xF0 and up: the highest priority class, above every device.</summary>
        public const byte Reschedule = 0xF0;
        /// <summary>Inter-processor: invalidate the TLB range TlbShootdown published, then acknowledge. Handled
        /// first thing in InterruptDispatcher, without the kernel lock.</summary>
        public const byte TlbShootdown = 0xF1;
        /// <summary>The local APIC's spurious-interrupt vector: delivered without an in-service bit, so it
        /// is ignored (it has no handler) and must not be acknowledged (no EOI). Its low 4 bits are 1s for old APICs.</summary>
        public const byte Spurious = 0xFF;
    }
}
