namespace Kernel.Time
{
    // Calendar dates (proleptic Gregorian, UTC) to and from Unix time -- seconds since
    // 1970-01-01T00:00:00Z without leap seconds, the time base of clock_gettime(CLOCK_REALTIME) -- and
    // the ISO 8601 text the boot report prints. The day-number algorithms are Howard Hinnant's
    // days_from_civil / civil_from_days. Portable: also compiled into tests/Unikernel.Runtime.Tests.
    internal static unsafe class CivilTime
    {
        public const long SecondsPerDay = 86400;
        /// <summary>Length of "YYYY-MM-DDTHH:MM:SSZ".</summary>
        public const int Iso8601Length = 20;

        /// <summary>Days from 1970-01-01 to the date (negative before it).</summary>
        public static long DaysFromCivil(long year, int month, int day)
        {
            year -= month <= 2 ? 1 : 0;
            long era = (year >= 0 ? year : year - 399) / 400;
            long yearOfEra = year - era * 400;                                       // [0, 399]
            long dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;   // [0, 365], from March 1
            long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;     // [0, 146096]
            return era * 146097 + dayOfEra - 719468;
        }

        public static void CivilFromDays(long days, out long year, out int month, out int day)
        {
            days += 719468;
            long era = (days >= 0 ? days : days - 146096) / 146097;
            long dayOfEra = days - era * 146097;
            long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
            long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
            long monthFromMarch = (5 * dayOfYear + 2) / 153;
            day = (int)(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
            month = (int)(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
            year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        }

        public static bool IsLeapYear(long year) => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

        public static int DaysInMonth(long year, int month)
        {
            if (month == 2) return IsLeapYear(year) ? 29 : 28;
            return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
        }

        public static bool IsValid(long year, int month, int day, int hour, int minute, int second)
            => month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month)
               && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60;

        public static long ToUnixSeconds(long year, int month, int day, int hour, int minute, int second)
            => DaysFromCivil(year, month, day) * SecondsPerDay + hour * 3600L + minute * 60L + second;

        /// <summary>Writes "YYYY-MM-DDTHH:MM:SSZ" (years 0-9999) and returns its length.</summary>
        public static int FormatIso8601(long unixSeconds, char* destination)
        {
            long days = unixSeconds / SecondsPerDay;
            long secondOfDay = unixSeconds % SecondsPerDay;
            if (secondOfDay < 0) { secondOfDay += SecondsPerDay; days--; }
            CivilFromDays(days, out long year, out int month, out int day);
            int n = 0;
            n += Digits(destination + n, year, 4); destination[n++] = '-';
            n += Digits(destination + n, month, 2); destination[n++] = '-';
            n += Digits(destination + n, day, 2); destination[n++] = 'T';
            n += Digits(destination + n, secondOfDay / 3600, 2); destination[n++] = ':';
            n += Digits(destination + n, secondOfDay / 60 % 60, 2); destination[n++] = ':';
            n += Digits(destination + n, secondOfDay % 60, 2); destination[n++] = 'Z';
            return n;
        }

        private static int Digits(char* destination, long value, int count)
        {
            if (value < 0) value = 0;
            for (int i = count - 1; i >= 0; i--) { destination[i] = (char)('0' + (int)(value % 10)); value /= 10; }
            return count;
        }
    }
}
