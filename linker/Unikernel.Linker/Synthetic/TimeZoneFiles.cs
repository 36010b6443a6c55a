using Unikernel.Linker.Input;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// Whether an image needs its time zone files (<c>uk-ld --time-zones-if-read</c>, which the SDK passes for its default
/// <c>UnikernelTimeZones=auto</c>). An app opens /usr/share/zoneinfo and /etc/localtime through one of two readers only:
/// .NET's TimeZoneInfo (the local zone from TZ or /etc/localtime, FindSystemTimeZoneById, GetSystemTimeZones; DateTime.Now
/// reaches it too) and musl's tzset, behind localtime, mktime and strftime (a native library's use of them included). An
/// app whose executable has neither in its function symbols -- hello, for one -- cannot read a zone file, and the image
/// leaves the files out (hello: 240 KB of image and of RAM). A stripped app cannot be checked and keeps them.
/// </summary>
internal static class TimeZoneFiles
{
    public const string ZoneDirectory = "/usr/share/zoneinfo";
    public const string LocalTime = "/etc/localtime";

    // Every method of TimeZoneInfo (NativeAOT names them S_P_CoreLib_<namespace>_<type>__<method>); musl's do_tzset,
    // which maps the zone file, and the functions that call it, in case a build inlines it.
    private const string DotnetReaderPrefix = "S_P_CoreLib_System_TimeZoneInfo__";
    private static readonly string[] MuslReaders = ["do_tzset", "__tzset", "__secs_to_zone", "__tm_to_tzname"];

    public static bool AppCanRead(AppExecutable app) =>
        app.FunctionNames.Count == 0
        || MuslReaders.Any(app.FunctionNames.Contains)
        || app.FunctionNames.Any(name => name.StartsWith(DotnetReaderPrefix, StringComparison.Ordinal));

    public static bool IsZoneFile(string imagePath) =>
        imagePath == LocalTime || imagePath == ZoneDirectory || imagePath.StartsWith(ZoneDirectory + "/", StringComparison.Ordinal);
}
