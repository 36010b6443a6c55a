using System.Text.Json.Serialization;

// One app for the things a shipped ASP.NET Core app takes from its publish folder and the system: configuration files,
// static files, the content root, time zones, HTTPS (HttpsCertificate.cs), Data Protection (ProtectedCookie.cs). Each
// endpoint is one concern; add more below the last MapGet.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));
builder.UseHttpsCertificateFromConfiguration();
builder.Services.AddInMemoryDataProtection();
var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles();

// Which files configured the app: appsettings.json, overridden by appsettings.{ASPNETCORE_ENVIRONMENT}.json.
app.MapGet("/config", (IConfiguration configuration, IHostEnvironment environment) => new ConfigReport(
    environment.EnvironmentName,
    configuration["Greeting:Message"],
    configuration["Greeting:Source"],
    configuration["Logging:LogLevel:Microsoft.AspNetCore"]));

// Where the app runs from: the publish folder, as when it is started from there on Linux.
app.MapGet("/paths", (IHostEnvironment environment) => new PathsReport(
    Directory.GetCurrentDirectory(),
    AppContext.BaseDirectory,
    environment.ContentRootPath,
    (app.Environment as IWebHostEnvironment)?.WebRootPath,
    Environment.ProcessPath,
    File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))));

// Time-zone data: a fixed instant in Berlin (summer and winter time), and the local zone (TZ or /etc/localtime).
app.MapGet("/time", () =>
{
    var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    var summer = new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    var winter = new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    var local = TimeZoneInfo.Local;
    return new TimeReport(
        berlin.Id,
        TimeZoneInfo.ConvertTime(summer, berlin).ToString("O"),
        TimeZoneInfo.ConvertTime(winter, berlin).ToString("O"),
        berlin.IsDaylightSavingTime(summer),
        local.Id,
        TimeZoneInfo.ConvertTime(summer, local).ToString("O"),
        TimeZoneInfo.GetSystemTimeZones().Count > 100);
});

app.MapTlsReport();
app.MapProtectedCookie();

app.Run();

public record ConfigReport(string Environment, string? Message, string? Source, string? AspNetCoreLogLevel);
public record PathsReport(string CurrentDirectory, string BaseDirectory, string ContentRoot, string? WebRoot, string? ProcessPath,
    bool AppSettingsNextToExecutable);
public record TimeReport(string Zone, string BerlinSummer, string BerlinWinter, bool SummerIsDaylightSaving, string LocalZone,
    string LocalSummer, bool ManyZones);

[JsonSerializable(typeof(ConfigReport))]
[JsonSerializable(typeof(PathsReport))]
[JsonSerializable(typeof(TimeReport))]
internal partial class AppJsonContext : JsonSerializerContext { }
