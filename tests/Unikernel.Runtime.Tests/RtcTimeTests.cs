using Kernel.Time;

namespace Unikernel.Runtime.Tests;

// The CMOS RTC's registers decoded to Unix time (runtime/Kernel/Time/RtcTime.cs): BCD and binary, 24- and
// 12-hour, with and without a century register.
public class RtcTimeTests
{
    private const byte Bcd24 = RtcTime.StatusB24Hour;                            // QEMU's default (0x02)
    private const byte Binary24 = RtcTime.StatusB24Hour | RtcTime.StatusBBinary;
    private const byte Bcd12 = 0;
    private const byte Binary12 = RtcTime.StatusBBinary;

    private static RtcRegisters Registers(byte year, byte month, byte day, byte hours, byte minutes, byte seconds, byte century, byte statusB)
        => new() { Year = year, Month = month, DayOfMonth = day, Hours = hours, Minutes = minutes, Seconds = seconds, Century = century, StatusB = statusB };

    private static long Unix(int year, int month, int day, int hour, int minute, int second)
        => new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeSeconds();

    [Theory]
    [InlineData(0x00, 0)] [InlineData(0x09, 9)] [InlineData(0x10, 10)] [InlineData(0x59, 59)] [InlineData(0x99, 99)]
    [InlineData(0x0A, -1)] [InlineData(0xA0, -1)] [InlineData(0xFF, -1)]
    public void DecodesBcd(byte value, int expected) => Assert.Equal(expected, RtcTime.FromBcd(value));

    [Fact]
    public void DecodesBcd24HourWithCentury()
    {
        Assert.True(RtcTime.TryToUnixSeconds(Registers(0x26, 0x11, 0x26, 0x23, 0x59, 0x58, 0x20, Bcd24), out long seconds));
        Assert.Equal(Unix(2026, 11, 26, 23, 59, 58), seconds);
    }

    [Fact]
    public void DecodesBinary24Hour()
    {
        Assert.True(RtcTime.TryToUnixSeconds(Registers(26, 2, 28, 7, 5, 3, 20, Binary24), out long seconds));
        Assert.Equal(Unix(2026, 2, 28, 7, 5, 3), seconds);
    }

    [Theory]
    [InlineData(0x12, 0)]         // 12 AM is midnight
    [InlineData(0x01, 1)]
    [InlineData(0x11, 11)]
    [InlineData(0x92, 12)]        // 12 PM (bit 7) is noon
    [InlineData(0x81, 13)]
    [InlineData(0x91, 23)]
    public void Decodes12HourBcd(byte hours, int expectedHour)
    {
        Assert.True(RtcTime.TryToUnixSeconds(Registers(0x24, 0x02, 0x29, hours, 0x30, 0x00, 0x20, Bcd12), out long seconds));
        Assert.Equal(Unix(2024, 2, 29, expectedHour, 30, 0), seconds);
    }

    [Fact]
    public void Decodes12HourBinary()
    {
        Assert.True(RtcTime.TryToUnixSeconds(Registers(24, 7, 4, 0x80 | 12, 0, 0, 20, Binary12), out long seconds));
        Assert.Equal(Unix(2024, 7, 4, 12, 0, 0), seconds);
    }

    [Theory]
    [InlineData(0x00, 0x26, 2026)]   // no century register (reads 0): 00-69 -> 20xx
    [InlineData(0xFF, 0x26, 2026)]   // invalid century: same window
    [InlineData(0x00, 0x85, 1985)]   // 70-99 -> 19xx
    [InlineData(0x19, 0x99, 1999)]   // century register honoured
    [InlineData(0x21, 0x01, 2101)]
    public void ChoosesTheCentury(byte century, byte year, int expectedYear)
    {
        Assert.True(RtcTime.TryToUnixSeconds(Registers(year, 0x03, 0x01, 0x00, 0x00, 0x00, century, Bcd24), out long seconds));
        Assert.Equal(Unix(expectedYear, 3, 1, 0, 0, 0), seconds);
    }

    [Fact]
    public void RejectsAMissingDevice()
        => Assert.False(RtcTime.TryToUnixSeconds(Registers(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), out _));

    [Theory]
    [InlineData(0x23, 0x02, 0x29, 0x00)]   // 29 February of a common year
    [InlineData(0x26, 0x13, 0x01, 0x00)]   // month 13
    [InlineData(0x26, 0x00, 0x01, 0x00)]   // month 0
    [InlineData(0x26, 0x01, 0x00, 0x00)]   // day 0
    [InlineData(0x26, 0x01, 0x01, 0x24)]   // hour 24
    [InlineData(0x26, 0x01, 0x01, 0x1A)]   // not BCD
    public void RejectsImpossibleFields(byte year, byte month, byte day, byte hours)
        => Assert.False(RtcTime.TryToUnixSeconds(Registers(year, month, day, hours, 0x00, 0x00, 0x20, Bcd24), out _));

    [Fact]
    public void Rejects12HourZero()
        => Assert.False(RtcTime.TryToUnixSeconds(Registers(0x26, 0x01, 0x01, 0x00, 0x00, 0x00, 0x20, Bcd12), out _));
}
