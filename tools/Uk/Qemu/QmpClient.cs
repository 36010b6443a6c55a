using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// The few QEMU Machine Protocol commands uk sends (QEMU's docs/interop/qmp-spec): over the Unix socket uk asks QEMU
/// to listen on (<see cref="QemuOptions.QmpSocketPath"/>), read the greeting, leave capabilities negotiation
/// (<c>qmp_capabilities</c>), then one command and its answer. Each call is a fresh connection: QEMU serves one client
/// at a time, and a signal arrives seldom.
/// <para>A command that can end QEMU (<see cref="MayEndQemu"/>) may do so before its answer reaches us: the guest
/// powers off through isa-debug-exit from a vCPU thread, which exits QEMU at once, while the answer waits for the
/// monitor's thread. The connection then ends (end of stream, or a reset when QEMU had not read all we sent), and for
/// such a command that is success: the caller waits for QEMU's exit anyway. Requests carry no trailing newline, so that
/// QEMU, which reads the monitor a byte at a time, has nothing left unread once it has parsed the command.</para>
/// </summary>
public static class QmpClient
{
    /// <summary>
    /// Runs <paramref name="command"/> (e.g. <c>system_powerdown</c>, <c>quit</c>) with <paramref name="argumentsJson"/> as
    /// its "arguments" object when given (e.g. <c>send-key</c>'s keys); null on success, else why not (one line).
    /// </summary>
    public static async Task<string?> ExecuteAsync(string socketPath, string command, TimeSpan timeLimit, string? argumentsJson = null)
    {
        using var timeout = new CancellationTokenSource(timeLimit);
        bool commandSent = false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            using (var greeting = await ReadMessageAsync(reader, timeout.Token).ConfigureAwait(false))
                if (greeting is null || !greeting.RootElement.TryGetProperty("QMP", out _)) return "QEMU's QMP socket sent no greeting";
            foreach (string execute in new[] { "qmp_capabilities", command })
            {
                string arguments = execute == command && argumentsJson is not null ? $",\"arguments\":{argumentsJson}" : "";
                byte[] request = Encoding.UTF8.GetBytes($"{{\"execute\":\"{execute}\"{arguments}}}");
                await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
                commandSent = execute == command;
                // Events (SHUTDOWN, POWERDOWN) may come before the answer.
                while (true)
                {
                    using var answer = await ReadMessageAsync(reader, timeout.Token).ConfigureAwait(false);
                    if (answer is null)
                        return commandSent && MayEndQemu(command) ? null : $"QEMU closed the QMP socket before answering {execute}";
                    if (answer.RootElement.TryGetProperty("error", out var error))
                        return $"QMP {execute}: {(error.TryGetProperty("desc", out var desc) ? desc.GetString() : error.ToString())}";
                    if (answer.RootElement.TryGetProperty("return", out _)) break;
                }
            }
            return null;
        }
        catch (OperationCanceledException) { return $"QMP {command}: no answer within {timeLimit.TotalSeconds:0.#} s"; }
        catch (IOException e) when (commandSent && MayEndQemu(command) && e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException)
        {
            return $"QMP {command}: {e.Message} ({(commandSent ? "after the command was sent" : "before the command was sent")})";
        }
    }

    /// <summary>Commands after which QEMU may exit before it answers: quit, and those that ask the guest to stop.</summary>
    public static bool MayEndQemu(string command) => command is "quit" or "system_powerdown" or "send-key";

    private static async Task<JsonDocument?> ReadMessageAsync(StreamReader reader, CancellationToken cancellation)
    {
        string? line = await reader.ReadLineAsync(cancellation).ConfigureAwait(false);
        return line is null ? null : JsonDocument.Parse(line);
    }
}
