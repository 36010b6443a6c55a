using System.Net;
using System.Net.Sockets;
using System.Text;
using Unikernel.Tools.Deploy;

namespace Unikernel.Tools.Tests.Deploy;

/// <summary>
/// The load balancer uk drives, against Debian's real HAProxy (skipped without it): started per deployment, servers
/// added, drained, removed through the runtime API while it serves, stopped. The backend server is a tiny HTTP
/// responder in the test.
/// </summary>
public sealed class HaproxyRuntimeTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("uk-haproxy-test-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static bool HaproxyInstalled => File.Exists("/usr/sbin/haproxy");

    [SkippableFact]
    public async Task ServersComeAndGoWhileHaproxyServes()
    {
        Skip.IfNot(HaproxyInstalled, "Debian's haproxy is not installed (make setup)");
        using var backend = new TcpListener(IPAddress.Loopback, 0);
        backend.Start();
        using var responder = new CancellationTokenSource();
        _ = Respond(backend, "from-test", responder.Token);
        int backendPort = ((IPEndPoint)backend.LocalEndpoint).Port;
        int publicPort = DetachedInstance.FreeLoopbackPort();

        var state = new DeploymentState { Name = "t", BindAddress = "127.0.0.1", PublicPort = publicPort, GuestPort = 8080 };
        var haproxy = new HaproxyRuntime(_directory.FullName);
        int pid = haproxy.Start(state, []);
        try
        {
            Assert.True(haproxy.IsRunning(pid));
            var server = new InstanceRecord { Id = "t-1-aaaaaa", Image = "x", Generation = 1, HostPort = backendPort, Directory = _directory.FullName, ConsoleTag = "" };
            using var client = new HttpClient();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync($"http://127.0.0.1:{publicPort}/")).StatusCode);   // no server yet

            await haproxy.AddServerAsync(server);
            Assert.Equal("from-test", await client.GetStringAsync($"http://127.0.0.1:{publicPort}/"));
            Assert.Equal("no check", (await haproxy.ServersAsync())[server.Id].Status);   // up, and HAProxy runs no checks of its own: uk did before adding it

            await haproxy.DrainAsync(server);
            Assert.Equal("DRAIN", (await haproxy.ServersAsync())[server.Id].Status);

            await haproxy.RemoveServerAsync(server);
            Assert.False((await haproxy.ServersAsync()).ContainsKey(server.Id));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync($"http://127.0.0.1:{publicPort}/")).StatusCode);
        }
        finally
        {
            await haproxy.StopAsync(pid, TimeSpan.FromSeconds(2));
            responder.Cancel();
        }
        Assert.False(haproxy.IsRunning(pid));
    }

    [SkippableFact]
    public void APortInUseIsHaproxysOwnMessage()
    {
        Skip.IfNot(HaproxyInstalled, "Debian's haproxy is not installed (make setup)");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var state = new DeploymentState { Name = "t", BindAddress = "127.0.0.1", PublicPort = ((IPEndPoint)taken.LocalEndpoint).Port, GuestPort = 8080 };
        var e = Assert.Throws<InvalidOperationException>(() => new HaproxyRuntime(_directory.FullName).Start(state, []));
        Assert.Contains($"HAProxy did not start on 127.0.0.1:{state.PublicPort}", e.Message);
        Assert.Contains("cannot bind", e.Message, StringComparison.Ordinal);
    }

    private static async Task Respond(TcpListener listener, string body, CancellationToken cancellation)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptTcpClientAsync(cancellation);
                _ = Task.Run(async () =>
                {
                    using (connection)
                    {
                        var stream = connection.GetStream();
                        var request = new StringBuilder();
                        var buffer = new byte[4096];
                        while (!request.ToString().Contains("\r\n\r\n"))
                        {
                            int n = await stream.ReadAsync(buffer, cancellation);
                            if (n == 0) return;
                            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        }
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), cancellation);
                    }
                }, cancellation);
            }
        }
        catch (OperationCanceledException) { }
    }
}
