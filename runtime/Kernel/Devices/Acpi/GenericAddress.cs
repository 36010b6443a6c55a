namespace Kernel.Devices.Acpi
{
    /// <summary>
    /// ACPI's Generic Address Structure (5.2.3.2), 12 bytes: which address space (system memory, system I/O, ...),
    /// the register's width and offset in bits, the access size, and the 64-bit address. Address 0 means "none".
    /// </summary>
    internal unsafe struct GenericAddress
    {
        public const byte SystemMemory = 0, SystemIo = 1;

        public byte Space;
        public byte BitWidth;
        public byte BitOffset;
        public byte AccessSize;
        public ulong Address;

        public bool IsPresent => Address != 0;

        public static GenericAddress Read(byte* p)
            => new GenericAddress { Space = p[0], BitWidth = p[1], BitOffset = p[2], AccessSize = p[3], Address = AcpiTable.Read64(p + 4) };

        /// <summary>An I/O-port block as ACPI 1.0's 32-bit FADT fields give it (port 0: none).</summary>
        public static GenericAddress IoPorts(uint port, byte lengthBytes)
            => new GenericAddress { Space = SystemIo, BitWidth = (byte)(lengthBytes * 8), Address = port };
    }
}
