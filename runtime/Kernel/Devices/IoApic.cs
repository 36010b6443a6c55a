namespace Kernel.Devices
{
    // The I/O APICs, which turn device interrupt lines (GSIs) into local APIC vectors. QEMU puts the first at
    // 0xFEC00000 (GSIs 0-23); microvm with ACPI adds a second 64 KiB above it for GSIs 24-47, which carries
    // its virtio-mmio lines (hw/i386/microvm.c: IO_APIC_SECONDARY_ADDRESS / _IRQBASE). Registers are reached
    // through an index (IOREGSEL, +0x00) and a window (IOWIN, +0x10); redirection entry n is registers
    // 0x10 + 2n (low: vector, trigger, polarity, mask) and 0x11 + 2n (high: destination APIC ID).
    // Only the lines the kernel routes are touched; firmware leaves the others masked.
    internal static class IoApic
    {
        public const ulong PrimaryBase = 0xFEC0_0000;
        public const ulong SecondaryBase = PrimaryBase + 0x10000;
        public const int LinesPerApic = 24;
        private const uint VersionRegister = 0x01, RedirectionTable = 0x10;
        private const uint LevelTriggered = 1u << 15, ActiveLow = 1u << 13, Masked = 1u << 16;

        /// <summary>
        /// Delivers <paramref name="gsi"/> as <paramref name="vector"/> to the local APIC <paramref name="apicId"/>; false
        /// when no I/O APIC has that line.
        /// </summary>
        public static bool Route(int gsi, byte vector, bool levelTriggered, bool activeLow, uint apicId)
        {
            if (gsi < 0 || gsi >= 2 * LinesPerApic) return false;
            ulong baseAddress = gsi < LinesPerApic ? PrimaryBase : SecondaryBase;
            int pin = gsi % LinesPerApic;
            uint version = Read(baseAddress, VersionRegister);
            if (version == 0 || version == 0xFFFF_FFFF) return false;
            int entries = (int)((version >> 16) & 0xFF) + 1;
            if (pin >= entries) return false;
            uint low = vector | (levelTriggered ? LevelTriggered : 0) | (activeLow ? ActiveLow : 0);
            Write(baseAddress, RedirectionTable + 2 * (uint)pin, Masked);
            Write(baseAddress, RedirectionTable + 2 * (uint)pin + 1, apicId << 24);
            Write(baseAddress, RedirectionTable + 2 * (uint)pin, low);
            return true;
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
