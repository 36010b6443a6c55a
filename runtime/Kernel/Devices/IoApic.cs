using Kernel.Devices.Acpi;

namespace Kernel.Devices
{
    // The I/O APICs, which turn device interrupt lines (GSIs) into local APIC vectors. Where they are and which
    // GSIs each carries comes from the MADT (UseMadt); without ACPI, QEMU's layout is assumed: the first at
    // 0xFEC00000 (GSIs 0-23) and, on microvm, a second 64 KiB above it for GSIs 24-47, which carries its
    // virtio-mmio lines (hw/i386/microvm.c: IO_APIC_SECONDARY_ADDRESS / _IRQBASE). Registers are reached
    // through an index (IOREGSEL, +0x00) and a window (IOWIN, +0x10); redirection entry n is registers
    // 0x10 + 2n (low: vector, trigger, polarity, mask) and 0x11 + 2n (high: destination APIC ID).
    // ISA interrupt numbers (a PCI function's Interrupt Line is one) become GSIs through the MADT's interrupt
    // source overrides, which may also change their trigger and polarity; without an override IRQ n is GSI n.
    // Only the lines the kernel routes are touched; firmware leaves the others masked.
    internal static class IoApic
    {
        public const ulong DefaultPrimaryBase = 0xFEC0_0000;
        public const ulong DefaultSecondaryBase = DefaultPrimaryBase + 0x10000;
        private const int DefaultLinesPerApic = 24;
        private const uint VersionRegister = 0x01, RedirectionTable = 0x10;
        private const uint LevelTriggered = 1u << 15, ActiveLow = 1u << 13, Masked = 1u << 16;

        private static Madt s_madt;   // null: QEMU's defaults

        /// <summary>From here on the MADT's I/O APICs and overrides count (a MADT without I/O APICs is ignored).</summary>
        public static void UseMadt(Madt madt)
        {
            if (madt != null && madt.IoApicCount > 0) s_madt = madt;
        }

        /// <summary>
        /// Delivers <paramref name="gsi"/> as <paramref name="vector"/> to the local APIC <paramref name="apicId"/>; false
        /// when no I/O APIC has that line.
        /// </summary>
        public static bool Route(int gsi, byte vector, bool levelTriggered, bool activeLow, uint apicId)
        {
            if (gsi < 0) return false;
            for (int i = 0; i < ApicCount; i++)
            {
                ulong baseAddress;
                int gsiBase;
                Describe(i, out baseAddress, out gsiBase);
                if (gsi < gsiBase || !DeviceMemory.Map(baseAddress, 0x20)) continue;
                uint version = Read(baseAddress, VersionRegister);
                if (version == 0 || version == 0xFFFF_FFFF) continue;
                int pin = gsi - gsiBase;
                if (pin >= (int)((version >> 16) & 0xFF) + 1) continue;
                uint low = vector | (levelTriggered ? LevelTriggered : 0) | (activeLow ? ActiveLow : 0);
                Write(baseAddress, RedirectionTable + 2 * (uint)pin, Masked);
                Write(baseAddress, RedirectionTable + 2 * (uint)pin + 1, apicId << 24);
                Write(baseAddress, RedirectionTable + 2 * (uint)pin, low);
                return true;
            }
            return false;
        }

        /// <summary>
        /// Delivers ISA interrupt <paramref name="irq"/> (or a PCI Interrupt Line) as <paramref name="vector"/>, the
        /// trigger and polarity given for the bus unless an override says otherwise; the GSI used, or -1.
        /// </summary>
        public static int RouteIsaInterrupt(int irq, byte vector, bool levelTriggered, bool activeLow, uint apicId)
        {
            int gsi = irq;
            InterruptOverride found;
            if (s_madt != null && s_madt.FindOverride(irq, out found))
            {
                gsi = (int)found.Gsi;
                levelTriggered = found.LevelTriggered(levelTriggered);
                activeLow = found.ActiveLow(activeLow);
            }
            return Route(gsi, vector, levelTriggered, activeLow, apicId) ? gsi : -1;
        }

        private static int ApicCount => s_madt != null ? s_madt.IoApicCount : 2;

        private static void Describe(int index, out ulong baseAddress, out int gsiBase)
        {
            if (s_madt != null)
            {
                baseAddress = s_madt.IoApics[index].Address;
                gsiBase = (int)s_madt.IoApics[index].GsiBase;
                return;
            }
            baseAddress = index == 0 ? DefaultPrimaryBase : DefaultSecondaryBase;
            gsiBase = index * DefaultLinesPerApic;
        }

        private static uint Read(ulong baseAddress, uint register)
        {
            Mmio.Write32(baseAddress, register);
            return Mmio.Read32(baseAddress + 0x10);
        }

        private static void Write(ulong baseAddress, uint register, uint value)
        {
            Mmio.Write32(baseAddress, register);
            Mmio.Write32(baseAddress + 0x10, value);
        }
    }
}
