using System.Net;
using System.Net.Sockets;
using System.Text;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Tests.Deploy;

/// <summary>The health check's verdicts and messages, against a loopback HTTP responder that answers what the test says.</summary>
public sealed class HealthCheckTests
{
    // A probe's own timeout is generous (a loaded CI machine may take a while to answer even on loopback); the ready
    // timeout is short, for the tests that wait it out.
    private static readonly HealthCheck Check = new("/health", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));

    [Theory]
    [InlineData("200 OK", null)]
    [InlineData("204 No Content", null)]
    [InlineData("404 Not Found", "GET /health answered 404 Not Found")]
    [InlineData("503 Service Unavailable", "GET /health answered 503 Service Unavailable")]
    public async Task A2xxIsHealthyAnythingElseSaysWhatCame(string status, string? expected)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = AnswerOnceAsync(listener, status);
        Assert.Equal(expected, await Check.ProbeAsync(((IPEndPoint)listener.LocalEndpoint).Port));
        await serve;
    }

    [Fact]
    public async Task NothingListeningIsNotHealthyWithinTheReadyTimeout()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0)) { listener.Start(); port = ((IPEndPoint)listener.LocalEndpoint).Port; }
        string? problem = await Check.WaitUntilHealthyAsync(port, () => true);
        Assert.StartsWith("not healthy within 1 s: GET /health: ", problem);
    }

    [Fact]
    public async Task AGuestThatStoppedEndsTheWaitAtOnce()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0)) { listener.Start(); port = ((IPEndPoint)listener.LocalEndpoint).Port; }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.StartsWith("the guest stopped (GET /health: ", await Check.WaitUntilHealthyAsync(port, () => false));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData("health")]
    [InlineData("/he alth")]
    [InlineData("")]
    public void APathHttpCannotRequestIsRefused(string path) => Assert.Throws<ArgumentException>(() => HealthCheck.ValidatePath(path));

    private static async Task AnswerOnceAsync(TcpListener listener, string status)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n"))
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0) return;
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.StartsWith("GET /health HTTP/1.1", request.ToString());
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    }
}
