namespace Kernel.Time
{
    /// <summary>The CMOS RTC's date and time registers as read (index in the comments), before decoding.</summary>
    internal struct RtcRegisters
    {
        public byte Seconds;     // 0x00
        public byte Minutes;     // 0x02
        public byte Hours;       // 0x04 (bit 7 = PM in 12-hour mode)
        public byte DayOfMonth;  // 0x07
        public byte Month;       // 0x08
        public byte Year;        // 0x09 (two digits)
        public byte Century;     // 0x32 (the ACPI FADT's usual CENTURY index; QEMU keeps it there)
        public byte StatusB;     // 0x0B (format bits)

        public bool SameTimeAs(RtcRegisters other)
            => Seconds == other.Seconds && Minutes == other.Minutes && Hours == other.Hours && DayOfMonth == other.DayOfMonth
               && Month == other.Month && Year == other.Year && Century == other.Century;
    }

    // Decoding the MC146818-style RTC registers into Unix time. Status register B says how the values are
    // stored: bit 2 set = binary, clear = BCD; bit 1 set = 24-hour, clear = 12-hour with bit 7 of the hour
    // meaning PM (12 AM is hour 12). The RTC keeps UTC on QEMU (-rtc base=utc, the default) and on
    // hypervisors generally; a PC whose RTC keeps local time would be off by its UTC offset. Portable:
    // also compiled into tests/Unikernel.Runtime.Tests.
    internal static class RtcTime
    {
        public const byte StatusB24Hour = 0x02;
        public const byte StatusBBinary = 0x04;
        private const byte HourPm = 0x80;

        /// <summary>A BCD byte's value, or -1 if either nibble is not a decimal digit.</summary>
        public static int FromBcd(byte value)
        {
            int high = value >> 4, low = value & 0xF;
            return high > 9 || low > 9 ? -1 : high * 10 + low;
        }

        /// <summary>False when a field is out of range or not valid BCD (no RTC answers 0xFF everywhere).</summary>
        public static bool TryToUnixSeconds(RtcRegisters r, out long unixSeconds)
        {
            unixSeconds = 0;
            bool binary = (r.StatusB & StatusBBinary) != 0;
            bool twentyFourHour = (r.StatusB & StatusB24Hour) != 0;
            bool pm = !twentyFourHour && (r.Hours & HourPm) != 0;

            int second = Field(r.Seconds, binary);
            int minute = Field(r.Minutes, binary);
            int hour = Field(twentyFourHour ? r.Hours : (byte)(r.Hours & ~HourPm), binary);
            int day = Field(r.DayOfMonth, binary);
            int month = Field(r.Month, binary);
            int yearOfCentury = Field(r.Year, binary);
            int century = Field(r.Century, binary);
            if (second < 0 || minute < 0 || hour < 0 || day < 0 || month < 0 || yearOfCentury < 0 || yearOfCentury > 99) return false;

            if (!twentyFourHour)
            {
                if (hour < 1 || hour > 12) return false;
                hour = hour % 12 + (pm ? 12 : 0);
            }
            // Without a plausible century register: the two-digit year's usual window, 1970-2069.
            long year = century >= 19 && century <= 29 ? century * 100 + yearOfCentury
                      : yearOfCentury < 70 ? 2000 + yearOfCentury : 1900 + yearOfCentury;
            if (!CivilTime.IsValid(year, month, day, hour, minute, second)) return false;
            unixSeconds = CivilTime.ToUnixSeconds(year, month, day, hour, minute, second);
            return true;
        }

        private static int Field(byte value, bool binary) => binary ? value : FromBcd(value);
    }
}
