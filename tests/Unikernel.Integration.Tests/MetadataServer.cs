using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Unikernel.Integration.Tests;

public enum MetadataStyle
{
    /// <summary>AWS IMDSv2: PUT /latest/api/token first; a GET without that token gets 401.</summary>
    Aws,
    /// <summary>GCE: a request without Metadata-Flavor: Google gets 403; every answer carries Metadata-Flavor: Google.</summary>
    Gce,
    /// <summary>Takes connections and never answers: a metadata server that does not respond.</summary>
    Silent,
}

/// <summary>
/// An instance metadata server on the host's loopback, as the guest reaches it through `uk run --metadata` (QEMU's
/// guestfwd at 169.254.169.254:80): HTTP/1.1 with persistent connections, the paths and header rules of AWS's IMDSv2 or
/// GCE's metadata server, and a log of the requests it got.
/// </summary>
internal sealed class MetadataServer : IDisposable
{
    public const string AwsInstanceId = "i-0123456789abcdef0", GceInstanceId = "4520390158471234567";
    private const string Token = "AQAEAKlA-test-token==";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MetadataStyle _style;
    private readonly string? _userData;
    private readonly List<string> _log = [];
    private readonly CancellationTokenSource _stop = new();

    /// <param name="userData">AWS: /latest/user-data; GCE: the attribute uk-env (null: 404, as when none is set).</param>
    public MetadataServer(MetadataStyle style, string? userData)
    {
        _style = style;
        _userData = userData;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>"METHOD PATH -> STATUS" for each request, in order.</summary>
    public List<string> Log { get { lock (_log) return [.. _log]; } }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        if (_style == MetadataStyle.Silent)
        {
            try { await Task.Delay(Timeout.Infinite, _stop.Token); } catch (OperationCanceledException) { }
            return;
        }
        var stream = client.GetStream();
        var pending = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int end;
                while ((end = HeaderEnd(pending)) < 0)
                {
                    int n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    pending.AddRange(buffer.AsSpan(0, n).ToArray());
                }
                string head = Encoding.ASCII.GetString(pending.GetRange(0, end).ToArray());
                pending.RemoveRange(0, end);   // requests carry no body (the PUT's Content-Length is 0)
                string[] lines = head.Split("\r\n");
                string[] requestLine = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                                   .ToDictionary(l => l[..l.IndexOf(':')].Trim().ToLowerInvariant(), l => l[(l.IndexOf(':') + 1)..].Trim());
                var (status, body, extra) = Answer(requestLine[0], requestLine[1], headers);
                lock (_log) _log.Add($"{requestLine[0]} {requestLine[1]} -> {status}");
                byte[] bodyBytes = Encoding.UTF8.GetBytes(body);
                string response = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: text/plain\r\n{extra}Content-Length: {bodyBytes.Length}\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response).Concat(bodyBytes).ToArray(), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    private (int Status, string Body, string ExtraHeaders) Answer(string method, string path, Dictionary<string, string> headers)
    {
        if (_style == MetadataStyle.Aws)
        {
            if (method == "PUT" && path == "/latest/api/token")
                return headers.ContainsKey("x-aws-ec2-metadata-token-ttl-seconds") ? (200, Token, "") : (400, "Missing TTL", "");
            if (method != "GET") return (405, "", "");
            if (headers.GetValueOrDefault("x-aws-ec2-metadata-token") != Token) return (401, "", "");
            if (path == "/latest/meta-data/instance-id") return (200, AwsInstanceId, "");
            if (path == "/latest/user-data") return _userData is null ? (404, "", "") : (200, _userData, "");
            return (404, "", "");
        }
        const string flavor = "Metadata-Flavor: Google\r\n";
        if (headers.GetValueOrDefault("metadata-flavor") != "Google") return (403, "Missing Metadata-Flavor:Google header.", flavor);
        if (method != "GET") return (405, "", flavor);
        if (path == "/computeMetadata/v1/instance/id") return (200, GceInstanceId, flavor);
        if (path == "/computeMetadata/v1/instance/attributes/uk-env") return _userData is null ? (404, "", flavor) : (200, _userData, flavor);
        return (404, "", flavor);
    }

    private static int HeaderEnd(List<byte> data)
    {
        for (int i = 0; i + 3 < data.Count; i++)
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') return i + 4;
        return -1;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
