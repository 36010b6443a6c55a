using Kernel.Time;

namespace Kernel.Arch
{
    // Inter-processor interrupts: a fixed-delivery interrupt on a vector of InterruptVectors, sent through
    // this CPU's local APIC. Delivery is asynchronous: whoever needs the target to have acted waits for an
    // acknowledgement of its own (TlbShootdown's generations).
    internal static class Ipi
    {
        /// <summary>Interrupts the CPU with index <paramref name="cpuIndex"/> (PerCpu's numbering) on <paramref name="vector"/>.</summary>
        public static void Send(int cpuIndex, byte vector) => LocalApic.SendCommand(PerCpu.ApicIdOf(cpuIndex), LocalApic.DeliveryFixed | vector);
    }
}
