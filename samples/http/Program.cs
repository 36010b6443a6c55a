using System.Text.Json.Serialization;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));
var app = builder.Build();

var started = DateTimeOffset.UtcNow;
Forecast[] forecasts =
[
    new(1, "Freezing", -5),
    new(2, "Mild", 14),
    new(3, "Scorching", 38),
];

app.MapGet("/", () => "Hello from a bootable ASP.NET Core app!\n");
app.MapGet("/forecasts", () => forecasts);
app.MapGet("/forecasts/{id:int}", (int id) =>
    forecasts.FirstOrDefault(f => f.Id == id) is { } f ? Results.Ok(f) : Results.NotFound());
app.MapGet("/version", () => (Environment.GetEnvironmentVariable("APP_VERSION") ?? "unversioned") + "\n");   // uk deploy's blue/green test
app.MapGet("/health", () => new Health("ok", (long)(DateTimeOffset.UtcNow - started).TotalSeconds));
// A request that takes a while (at most 60 s): a graceful stop lets it finish (Kestrel drains).
app.MapGet("/slow", async (int? ms) =>
{
    int delay = Math.Clamp(ms ?? 1000, 0, 60_000);
    await Task.Delay(delay);
    return $"slow: answered after {delay} ms\n";
});

app.Run();

public record Forecast(int Id, string Summary, int TemperatureC);
public record Health(string Status, long UptimeSeconds);

[JsonSerializable(typeof(Forecast[]))]
[JsonSerializable(typeof(Health))]
internal partial class AppJsonContext : JsonSerializerContext { }
