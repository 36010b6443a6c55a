using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using Npgsql;

// An app that keeps its data in PostgreSQL, as people ship them: the schema is migrated at start-up, rows are added
// and listed over HTTP. The connection string (ConnectionStrings__Db) is given at boot; the server's defaults
// (SCRAM-SHA-256, TLS) are what the connection has to get through.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));
string connectionString = builder.Configuration.GetConnectionString("Db")
    ?? throw new InvalidOperationException("ConnectionStrings__Db is not set");
// The slim builder keeps the image small: only the type mappings the app uses, plus TLS for the server's default.
var dataSourceBuilder = new NpgsqlSlimDataSourceBuilder(connectionString);
dataSourceBuilder.EnableTransportSecurity();
// A server whose certificate no public CA signed: its CA's PEM text given at boot (Db__RootCertificatePem) is the only
// root trusted for it, with SSL Mode=VerifyFull in the connection string.
if (builder.Configuration["Db:RootCertificatePem"] is { Length: > 0 } rootPem)
    dataSourceBuilder.UseRootCertificate(X509Certificate2.CreateFromPem(rootPem));
await using var dataSource = dataSourceBuilder.Build();

int schemaVersion = await Schema.MigrateAsync(dataSource);
Console.WriteLine($"Schema at version {schemaVersion}");

var app = builder.Build();

app.MapGet("/rows", async () =>
{
    var rows = new List<NoteRow>();
    await using var command = dataSource.CreateCommand("SELECT id, body FROM notes ORDER BY id");
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
        rows.Add(new NoteRow(reader.GetInt32(0), reader.GetString(1)));
    return rows;
});

app.MapPost("/rows", async (NewNote note) =>
{
    await using var command = dataSource.CreateCommand("INSERT INTO notes (body) VALUES ($1) RETURNING id");
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = note.Body });
    int id = (int)(await command.ExecuteScalarAsync())!;
    return Results.Created($"/rows/{id}", new NoteRow(id, note.Body));
});

// What the connection is: the server's authentication and TLS as the server itself reports them.
app.MapGet("/connection", async () =>
{
    await using var command = dataSource.CreateCommand(
        "SELECT current_user, ssl, version, (SELECT version FROM schema_version) FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return new ConnectionReport(reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), reader.GetInt32(3));
});

app.Run();

public record NewNote(string Body);
public record NoteRow(int Id, string Body);
public record ConnectionReport(string User, bool Ssl, string TlsVersion, int SchemaVersion);

[JsonSerializable(typeof(NewNote))]
[JsonSerializable(typeof(NoteRow))]
[JsonSerializable(typeof(List<NoteRow>))]
[JsonSerializable(typeof(ConnectionReport))]
internal partial class AppJsonContext : JsonSerializerContext { }
