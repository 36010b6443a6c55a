using System.Globalization;
using Kernel.Time;

namespace Unikernel.Runtime.Tests;

// Calendar dates <-> Unix time and the ISO 8601 text (runtime/Kernel/Time/CivilTime.cs) against the BCL.
public unsafe class CivilTimeTests
{
    [Fact]
    public void DaysFromCivilAndBackAgreeWithDateTimeOverFourCenturies()
    {
        for (var date = new DateTime(1800, 1, 1); date < new DateTime(2200, 1, 1); date = date.AddDays(1))
        {
            long days = (long)(date - DateTime.UnixEpoch).TotalDays;
            Assert.Equal(days, CivilTime.DaysFromCivil(date.Year, date.Month, date.Day));
            CivilTime.CivilFromDays(days, out long year, out int month, out int day);
            Assert.Equal((date.Year, date.Month, date.Day), ((int)year, month, day));
        }
    }

    [Theory]
    [InlineData(1970, 1, 1, 0, 0, 0, 0L)]
    [InlineData(2000, 2, 29, 12, 34, 56, 951827696L)]
    [InlineData(2038, 1, 19, 3, 14, 8, 2147483648L)]   // one past 32-bit time_t
    [InlineData(2026, 11, 26, 23, 59, 59, 1795737599L)]
    [InlineData(1969, 12, 31, 23, 59, 59, -1L)]
    public void ToUnixSecondsMatchesKnownInstants(int year, int month, int day, int hour, int minute, int second, long expected)
    {
        Assert.Equal(expected, CivilTime.ToUnixSeconds(year, month, day, hour, minute, second));
        Assert.Equal(new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeSeconds(), expected);
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00Z")]
    [InlineData(951827696L, "2000-02-29T12:34:56Z")]
    [InlineData(1795737599L, "2026-11-26T23:59:59Z")]
    [InlineData(-1L, "1969-12-31T23:59:59Z")]
    [InlineData(253402300799L, "9999-12-31T23:59:59Z")]
    public void FormatsIso8601(long unixSeconds, string expected)
    {
        char* text = stackalloc char[CivilTime.Iso8601Length];
        int length = CivilTime.FormatIso8601(unixSeconds, text);
        Assert.Equal(expected, new string(text, 0, length));
    }

    [Fact]
    public void FormatAgreesWithTheBclOnRandomInstants()
    {
        var random = new Random(4);
        char* text = stackalloc char[CivilTime.Iso8601Length];
        for (int i = 0; i < 10_000; i++)
        {
            long seconds = random.NextInt64(-2_000_000_000, 10_000_000_000);
            int length = CivilTime.FormatIso8601(seconds, text);
            string expected = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            Assert.Equal(expected, new string(text, 0, length));
        }
    }

    [Theory]
    [InlineData(2024, 2, 29, true)]
    [InlineData(2023, 2, 29, false)]
    [InlineData(1900, 2, 29, false)]
    [InlineData(2000, 2, 29, true)]
    [InlineData(2026, 4, 31, false)]
    [InlineData(2026, 13, 1, false)]
    [InlineData(2026, 0, 1, false)]
    [InlineData(2026, 12, 31, true)]
    public void ValidatesDates(int year, int month, int day, bool valid)
        => Assert.Equal(valid, CivilTime.IsValid(year, month, day, 0, 0, 0));
}
