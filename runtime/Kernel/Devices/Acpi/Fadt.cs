namespace Kernel.Devices.Acpi
{
    /// <summary>
    /// The Fixed ACPI Description Table ("FACP", 5.2.9): where the fixed hardware is. Kept for the power-management
    /// work: the SCI's interrupt, the SMI command port and the value that hands ACPI to the OS, the PM1 event and
    /// control blocks (the power button's status and enable bits, the sleep type and enable bits), the reset register,
    /// and the DSDT (whose AML names \_S5 and, on hardware-reduced machines such as microvm, the GED that carries
    /// the power button); hardware-reduced machines have sleep control and status registers instead of PM1. Fields
    /// beyond the table's length (older revisions are shorter) stay zero; a 64-bit X_ field that is set wins over its
    /// 32-bit ACPI 1.0 twin. Portable (host-tested).
    /// </summary>
    internal sealed unsafe class Fadt
    {
        private const int DsdtOffset = 40, SciOffset = 46, SmiCommandOffset = 48, AcpiEnableOffset = 52, AcpiDisableOffset = 53;
        private const int Pm1aEventOffset = 56, Pm1bEventOffset = 60, Pm1aControlOffset = 64, Pm1bControlOffset = 68;
        private const int Pm1EventLengthOffset = 88, Pm1ControlLengthOffset = 89;
        private const int BootArchitectureOffset = 109, FlagsOffset = 112, ResetRegisterOffset = 116, ResetValueOffset = 128;
        private const int XDsdtOffset = 140, XPm1aEventOffset = 148, XPm1bEventOffset = 160, XPm1aControlOffset = 172, XPm1bControlOffset = 184;
        private const int SleepControlOffset = 244, SleepStatusOffset = 256;

        public const uint FlagPowerButtonIsControlMethod = 1u << 4, FlagResetRegisterSupported = 1u << 10, FlagHardwareReduced = 1u << 20;
        public const ushort BootArchitectureLegacyDevices = 1, BootArchitecture8042 = 2, BootArchitectureNoCmosRtc = 1 << 5;

        public byte Revision;
        public ulong Dsdt;
        public ushort SciInterrupt;
        public uint SmiCommandPort;
        public byte AcpiEnableValue, AcpiDisableValue;
        public GenericAddress Pm1aEvent, Pm1bEvent, Pm1aControl, Pm1bControl;
        public uint Flags;
        public ushort BootArchitecture;
        public GenericAddress ResetRegister;
        public byte ResetValue;
        public GenericAddress SleepControl, SleepStatus;

        public bool HardwareReduced => (Flags & FlagHardwareReduced) != 0;
        public bool HasResetRegister => (Flags & FlagResetRegisterSupported) != 0 && ResetRegister.IsPresent;

        /// <summary>Parses a FADT whose checksum was checked (<paramref name="length"/> is its header's length).</summary>
        public static Fadt Parse(byte* table, uint length)
        {
            var fadt = new Fadt { Revision = AcpiTable.RevisionOf(table) };
            if (length >= DsdtOffset + 4) fadt.Dsdt = AcpiTable.Read32(table + DsdtOffset);
            if (length >= AcpiDisableOffset + 1)
            {
                fadt.SciInterrupt = AcpiTable.Read16(table + SciOffset);
                fadt.SmiCommandPort = AcpiTable.Read32(table + SmiCommandOffset);
                fadt.AcpiEnableValue = table[AcpiEnableOffset];
                fadt.AcpiDisableValue = table[AcpiDisableOffset];
            }
            if (length >= Pm1ControlLengthOffset + 1)
            {
                byte eventLength = table[Pm1EventLengthOffset], controlLength = table[Pm1ControlLengthOffset];
                fadt.Pm1aEvent = GenericAddress.IoPorts(AcpiTable.Read32(table + Pm1aEventOffset), eventLength);
                fadt.Pm1bEvent = GenericAddress.IoPorts(AcpiTable.Read32(table + Pm1bEventOffset), eventLength);
                fadt.Pm1aControl = GenericAddress.IoPorts(AcpiTable.Read32(table + Pm1aControlOffset), controlLength);
                fadt.Pm1bControl = GenericAddress.IoPorts(AcpiTable.Read32(table + Pm1bControlOffset), controlLength);
            }
            if (length >= FlagsOffset + 4)
            {
                fadt.BootArchitecture = AcpiTable.Read16(table + BootArchitectureOffset);
                fadt.Flags = AcpiTable.Read32(table + FlagsOffset);
            }
            if (length >= ResetValueOffset + 1)
            {
                fadt.ResetRegister = GenericAddress.Read(table + ResetRegisterOffset);
                fadt.ResetValue = table[ResetValueOffset];
            }
            if (length >= XPm1bControlOffset + 12)
            {
                ulong xDsdt = AcpiTable.Read64(table + XDsdtOffset);
                if (xDsdt != 0) fadt.Dsdt = xDsdt;
                PreferExtended(ref fadt.Pm1aEvent, table + XPm1aEventOffset);
                PreferExtended(ref fadt.Pm1bEvent, table + XPm1bEventOffset);
                PreferExtended(ref fadt.Pm1aControl, table + XPm1aControlOffset);
                PreferExtended(ref fadt.Pm1bControl, table + XPm1bControlOffset);
            }
            if (length >= SleepStatusOffset + 12)
            {
                fadt.SleepControl = GenericAddress.Read(table + SleepControlOffset);
                fadt.SleepStatus = GenericAddress.Read(table + SleepStatusOffset);
            }
            return fadt;
        }

        private static void PreferExtended(ref GenericAddress field, byte* extended)
        {
            GenericAddress x = GenericAddress.Read(extended);
            if (x.IsPresent) field = x;
        }
    }
}
