using Kernel.Arch;

namespace Kernel.Time
{
    // The local APIC's side of SMP: the interrupt command register (ICR) that sends inter-processor
    // interrupts, and the set-up of an application processor's own APIC. xAPIC: the ICR is two 32-bit
    // registers, the destination's APIC ID in bits 24-31 of the high one (0x310), and writing the low one
    // (0x300) sends; its delivery-status bit says when the APIC has taken the message, before which the
    // ICR must not be written again. x2APIC: one 64-bit MSR (0x830), the destination's x2APIC ID in the
    // high half, no delivery status (Intel SDM vol. 3, 10.6.1 and 10.12.9).
    internal static unsafe partial class LocalApic
    {
        private const uint CommandLow = 0x300, CommandHigh = 0x310;
        private const uint X2ApicCommandMsr = X2ApicMsrBase + (CommandLow >> 4);
        private const uint DeliveryPending = 1u << 12;

        /// <summary>Delivery mode "fixed": the vector in the low byte.</summary>
        public const uint DeliveryFixed = 0u << 8;
        /// <summary>Delivery mode INIT (with LevelAssert; LevelTriggered without it is the de-assert).</summary>
        public const uint DeliveryInit = 5u << 8;
        /// <summary>Delivery mode Start-up: the low byte is the page number of the real-mode entry.</summary>
        public const uint DeliveryStartup = 6u << 8;
        public const uint LevelAssert = 1u << 14;
        public const uint LevelTriggered = 1u << 15;

        /// <summary>Sends the command <paramref name="command"/> (vector, delivery mode, level) to the APIC
        /// whose ID is <paramref name="apicId"/>.</summary>
        public static void SendCommand(uint apicId, uint command)
        {
            if (s_x2Apic)
            {
                Cpu.WriteMsr(X2ApicCommandMsr, ((ulong)apicId << 32) | command);
                return;
            }
            WaitForDelivery();
            Write(CommandHigh, apicId << 24);
            Write(CommandLow, command);
            WaitForDelivery();
        }

        private static void WaitForDelivery()
        {
            while ((Read(CommandLow) & DeliveryPending) != 0) Cpu.Pause();
        }

        /// <summary>
        /// On an application processor: its APIC enabled in the BSP's mode (xAPIC or x2APIC: the boot stub
        /// left the AP as reset left it) with every local interrupt masked, as Initialize does on the BSP.
        /// </summary>
        internal static void InitializeApplicationProcessor()
        {
            ulong msr = Cpu.ReadMsr(BaseMsr);
            ulong wanted = msr | BaseMsrEnable | (s_x2Apic ? BaseMsrX2Apic : 0);
            if (wanted != msr)
            {
                // x2APIC is entered from the enabled xAPIC state only (SDM 10.12.5: EN before EXTD).
                if ((msr & BaseMsrEnable) == 0) Cpu.WriteMsr(BaseMsr, msr | BaseMsrEnable);
                Cpu.WriteMsr(BaseMsr, wanted);
            }
            Write(TaskPriority, 0);
            Write(LvtTimer, LvtMasked);
            Write(LvtLint0, LvtMasked);
            Write(LvtError, LvtMasked);
            Write(SpuriousVector, SoftwareEnable | InterruptVectors.Spurious);
        }
    }
}
