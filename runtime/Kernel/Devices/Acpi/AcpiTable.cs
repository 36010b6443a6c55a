namespace Kernel.Devices.Acpi
{
    // What every ACPI system description table shares (ACPI 6.5, 5.2.6): a 36-byte header -- the signature
    // ("APIC", "FACP", ...), the length of the whole table, a revision, and a checksum byte that makes all
    // of the table's bytes sum to zero mod 256 -- then the table's own fields. Portable: also compiled into
    // tests/Unikernel.Runtime.Tests, which feed it tables built in host memory.
    internal static unsafe class AcpiTable
    {
        public const int HeaderLength = 36;
        public const int LengthOffset = 4, RevisionOffset = 8;

        /// <summary>True when the <paramref name="length"/> bytes at <paramref name="bytes"/> sum to zero mod 256.</summary>
        public static bool ChecksumIsValid(byte* bytes, uint length)
        {
            byte sum = 0;
            for (uint i = 0; i < length; i++) sum += bytes[i];
            return sum == 0;
        }

        /// <summary>The signature's four ASCII bytes as one little-endian number ("APIC" = 'A' | 'P' &lt;&lt; 8 | ...).</summary>
        public static uint SignatureOf(byte* table) => *(uint*)table;
        public static uint LengthOf(byte* table) => *(uint*)(table + LengthOffset);
        public static byte RevisionOf(byte* table) => table[RevisionOffset];

        public static ushort Read16(byte* p) => (ushort)(p[0] | (p[1] << 8));
        public static uint Read32(byte* p) => (uint)(p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24));
        public static ulong Read64(byte* p) => Read32(p) | ((ulong)Read32(p + 4) << 32);
    }
}
