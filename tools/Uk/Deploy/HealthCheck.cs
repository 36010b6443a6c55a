using System.Diagnostics;
using System.Net.Http;

namespace Unikernel.Tools.Deploy;

/// <summary>
/// The HTTP health check of an instance: GET <see cref="Path"/> on its forwarded port, healthy on a 2xx answer within
/// <see cref="Timeout"/> (what ASP.NET Core's MapHealthChecks answers: 200 Healthy, 503 Unhealthy), tried every
/// <see cref="Interval"/> until it passes or <see cref="ReadyTimeout"/> is over.
/// </summary>
public sealed record HealthCheck(string Path, TimeSpan Interval, TimeSpan Timeout, TimeSpan ReadyTimeout)
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, UseProxy = false })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    /// <summary>One try: null when healthy, else what was wrong (an answer's status, a refused connection, a timeout).</summary>
    public async Task<string?> ProbeAsync(int port)
    {
        using var limit = new CancellationTokenSource(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{Path}");
            request.Headers.ConnectionClose = true;
            using var response = await Client.SendAsync(request, limit.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            return status is >= 200 and < 300 ? null : $"GET {Path} answered {status} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) { return $"GET {Path}: no answer within {Timeout.TotalSeconds:0.###} s"; }
        catch (HttpRequestException e) { return $"GET {Path}: {e.Message}"; }
    }

    /// <summary>
    /// Tries until healthy (null) or the ready timeout is over, or <paramref name="stillRunning"/> says the guest has
    /// ended; then the last problem seen.
    /// </summary>
    public async Task<string?> WaitUntilHealthyAsync(int port, Func<bool> stillRunning, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        string problem = "not tried";
        while (true)
        {
            if (await ProbeAsync(port).ConfigureAwait(false) is not { } why) return null;
            problem = why;
            if (!stillRunning()) return $"the guest stopped ({problem})";
            var left = ReadyTimeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) return $"not healthy within {ReadyTimeout.TotalSeconds:0.###} s: {problem}";
            await Task.Delay(left < Interval ? left : Interval, cancellation).ConfigureAwait(false);
        }
    }

    /// <exception cref="ArgumentException">A path HTTP cannot request.</exception>
    public static string ValidatePath(string path)
        => path.StartsWith('/') && path.All(c => c > ' ' && c < 127)
            ? path
            : throw new ArgumentException($"--health '{path}': an absolute path (e.g. /health), no spaces or control characters");
}
