using Kernel.Files;

namespace Kernel.Platform;

// The host build's file clock: a fixed time, so tests see stable timestamps.
internal static class FileClock
{
    public const long FixedSeconds = 1_700_000_000;
    public const long FixedNanoseconds = 123_456_789;
    public static FileTime Now() => new FileTime(FixedSeconds, FixedNanoseconds);
}
