using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Unikernel.Integration.Tests;

/// <summary>
/// An OTLP/HTTP logs receiver for the central-logs tests, written here because Debian packages no OpenTelemetry
/// collector. It takes POST /v1/logs with Content-Type application/json and checks each body against the OTLP/HTTP JSON
/// rules (OTLP specification, "JSON Protobuf Encoding" and opentelemetry-proto's logs.proto): the ExportLogsServiceRequest
/// shape, lowerCamelCase field names and nothing else, 64-bit integers as decimal strings or numbers, enums as numbers,
/// AnyValue with exactly one member. A request that breaks a rule gets 400 and the problem is recorded, so a test fails
/// on it. Accepted log records are kept in arrival order. Stop and Start again on the same port: the restart.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    public sealed record LogRecord(ulong TimeUnixNano, int SeverityNumber, string SeverityText, string Body, string Stream,
                                   string ServiceName, string ServiceVersion, string InstanceId);

    private static readonly HashSet<string> RequestFields = ["resourceLogs"];
    private static readonly HashSet<string> ResourceLogsFields = ["resource", "scopeLogs", "schemaUrl"];
    private static readonly HashSet<string> ResourceFields = ["attributes", "droppedAttributesCount"];
    private static readonly HashSet<string> ScopeLogsFields = ["scope", "logRecords", "schemaUrl"];
    private static readonly HashSet<string> ScopeFields = ["name", "version", "attributes", "droppedAttributesCount"];
    private static readonly HashSet<string> LogRecordFields = ["timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText",
        "body", "attributes", "droppedAttributesCount", "flags", "traceId", "spanId", "eventName"];
    private static readonly HashSet<string> KeyValueFields = ["key", "value"];
    private static readonly HashSet<string> AnyValueFields = ["stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"];

    private readonly List<LogRecord> _records = [];
    private readonly List<string> _problems = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private Task? _loop;

    public int Port { get; } = KernelNetworkTests.FreePort(SocketType.Stream, ProtocolType.Tcp);
    public int Requests { get; private set; }

    public List<LogRecord> Records { get { lock (_records) return [.. _records]; } }
    public List<string> Problems { get { lock (_records) return [.. _problems]; } }

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _stop = new CancellationTokenSource();
        _loop = AcceptLoop(_listener, _stop.Token);
    }

    public async Task StopAsync()
    {
        if (_listener is null) return;
        _stop!.Cancel();
        _listener.Stop();
        try { await _loop!; } catch (OperationCanceledException) { } catch (SocketException) { } catch (ObjectDisposedException) { }
        _listener = null;
    }

    private async Task AcceptLoop(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client = await listener.AcceptTcpClientAsync(stop);
            _ = Task.Run(() => Serve(client));   // a request under way is answered even when the receiver stops
        }
    }

    // HTTP/1.1 by hand (the guest's client sends one request per connection): request line, headers, Content-Length body.
    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new MemoryStream();
            var chunk = new byte[16384];
            int headerEnd = -1;
            while (headerEnd < 0)
            {
                int n = await stream.ReadAsync(chunk);
                if (n == 0) return;
                buffer.Write(chunk, 0, n);
                headerEnd = IndexOf(buffer.GetBuffer(), (int)buffer.Length, "\r\n\r\n"u8);
            }
            string head = Encoding.ASCII.GetString(buffer.GetBuffer(), 0, headerEnd);
            string[] lines = head.Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            int length = int.Parse(headers.GetValueOrDefault("content-length", "0"));
            while (buffer.Length < headerEnd + 4 + length)
            {
                int n = await stream.ReadAsync(chunk);
                if (n == 0) return;
                buffer.Write(chunk, 0, n);
            }
            byte[] body = buffer.GetBuffer()[(headerEnd + 4)..(headerEnd + 4 + length)];
            var accepted = new List<LogRecord>();
            string? problem = lines[0] != "POST /v1/logs HTTP/1.1" ? $"request line \"{lines[0]}\""
                            : headers.GetValueOrDefault("content-type") != "application/json" ? $"content-type \"{headers.GetValueOrDefault("content-type")}\""
                            : Check(body, accepted);
            byte[] answer = Encoding.ASCII.GetBytes(problem == null
                ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                : "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(answer);
            // Kept once answered: the guest retries a batch it got no answer for, and the test counts each line once.
            lock (_records) { Requests++; if (problem != null) _problems.Add(problem); else _records.AddRange(accepted); }
        }
    }

    private static int IndexOf(byte[] data, int length, ReadOnlySpan<byte> pattern) => data.AsSpan(0, length).IndexOf(pattern);

    /// <summary>Checks one ExportLogsServiceRequest and collects its records; the first broken rule, or null.</summary>
    private static string? Check(byte[] body, List<LogRecord> accepted)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(body); }
        catch (JsonException e) { return "not JSON: " + e.Message; }
        using (document)
        {
            JsonElement root = document.RootElement;
            string? problem = Fields(root, RequestFields, "request");
            if (problem != null) return problem;
            foreach (JsonElement resourceLogs in Array(root, "resourceLogs"))
            {
                if ((problem = Fields(resourceLogs, ResourceLogsFields, "resourceLogs")) != null) return problem;
                JsonElement resource = resourceLogs.GetProperty("resource");
                if ((problem = Fields(resource, ResourceFields, "resource")) != null) return problem;
                var attributes = new Dictionary<string, string>();
                foreach (JsonElement a in Array(resource, "attributes"))
                {
                    if ((problem = KeyValue(a)) != null) return problem;
                    attributes[a.GetProperty("key").GetString()!] = a.GetProperty("value").GetProperty("stringValue").GetString()!;
                }
                foreach (string key in new[] { "service.name", "service.version", "service.instance.id" })
                    if (!attributes.ContainsKey(key)) return $"resource attribute {key} missing";
                foreach (JsonElement scopeLogs in Array(resourceLogs, "scopeLogs"))
                {
                    if ((problem = Fields(scopeLogs, ScopeLogsFields, "scopeLogs")) != null) return problem;
                    if (scopeLogs.TryGetProperty("scope", out JsonElement scope) && (problem = Fields(scope, ScopeFields, "scope")) != null) return problem;
                    foreach (JsonElement record in Array(scopeLogs, "logRecords"))
                    {
                        if ((problem = Fields(record, LogRecordFields, "logRecord")) != null) return problem;
                        if (!Fixed64(record, "timeUnixNano", out ulong time) || !Fixed64(record, "observedTimeUnixNano", out _))
                            return "timeUnixNano/observedTimeUnixNano is not a uint64 (decimal string or number)";
                        JsonElement severity = record.GetProperty("severityNumber");
                        if (severity.ValueKind != JsonValueKind.Number || !severity.TryGetInt32(out int number) || number is < 0 or > 24)
                            return "severityNumber is not a SeverityNumber enum value (a number from 0 to 24)";
                        JsonElement value = record.GetProperty("body");
                        if ((problem = AnyValue(value)) != null) return problem;
                        string stream = "";
                        foreach (JsonElement a in Array(record, "attributes"))
                        {
                            if ((problem = KeyValue(a)) != null) return problem;
                            if (a.GetProperty("key").GetString() is "log.iostream" or "unikernel.source") stream = a.GetProperty("value").GetProperty("stringValue").GetString()!;
                        }
                        accepted.Add(new LogRecord(time, number, record.GetProperty("severityText").GetString()!, value.GetProperty("stringValue").GetString()!,
                                                   stream, attributes["service.name"], attributes["service.version"], attributes["service.instance.id"]));
                    }
                }
            }
            return null;
        }
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static string? Fields(JsonElement element, HashSet<string> allowed, string what)
    {
        if (element.ValueKind != JsonValueKind.Object) return $"{what} is not an object";
        foreach (JsonProperty p in element.EnumerateObject())
            if (!allowed.Contains(p.Name)) return $"{what} has the field \"{p.Name}\", which OTLP's JSON does not define";
        return null;
    }

    private static string? KeyValue(JsonElement element)
    {
        string? problem = Fields(element, KeyValueFields, "KeyValue");
        if (problem != null) return problem;
        if (element.GetProperty("key").ValueKind != JsonValueKind.String) return "KeyValue.key is not a string";
        return AnyValue(element.GetProperty("value"));
    }

    private static string? AnyValue(JsonElement element)
    {
        string? problem = Fields(element, AnyValueFields, "AnyValue");
        if (problem != null) return problem;
        if (element.EnumerateObject().Count() != 1) return "AnyValue does not have exactly one value";
        if (element.TryGetProperty("stringValue", out JsonElement s) && s.ValueKind != JsonValueKind.String) return "stringValue is not a string";
        return null;
    }

    private static bool Fixed64(JsonElement element, string name, out ulong value)
    {
        value = 0;
        if (!element.TryGetProperty(name, out JsonElement e)) return false;
        return e.ValueKind == JsonValueKind.String ? ulong.TryParse(e.GetString(), out value) && e.GetString()!.All(char.IsAsciiDigit)
             : e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out value);
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _listener?.Stop();
    }
}
