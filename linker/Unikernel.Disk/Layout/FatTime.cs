namespace Unikernel.Disk.Layout;

/// <summary>FAT's packed date and time (FAT spec section 6.3): date = (year - 1980) &lt;&lt; 9 | month &lt;&lt; 5 | day;
/// time = hours &lt;&lt; 11 | minutes &lt;&lt; 5 | seconds / 2.</summary>
public static class FatTime
{
    public static ushort Date(DateTime t)
    {
        if (t.Year is < 1980 or > 2107) throw new ArgumentException($"{t:yyyy-MM-dd} is outside FAT's years 1980..2107");
        return (ushort)((t.Year - 1980) << 9 | t.Month << 5 | t.Day);
    }

    public static ushort Time(DateTime t) => (ushort)(t.Hour << 11 | t.Minute << 5 | t.Second / 2);
}
