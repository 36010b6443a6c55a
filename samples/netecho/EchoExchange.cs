using System.Net.Sockets;

/// <summary>
/// One echo exchange over a connected stream socket, whatever its family: send <c>size</c> seeded random bytes in
/// 16 KiB writes while reading everything back until the peer closes, then compare.
/// </summary>
internal static class EchoExchange
{
    /// <summary>"ok", or "MISMATCH" and how many bytes came back.</summary>
    public static async Task<string> RunAsync(Socket client, int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        var send = Task.Run(async () =>
        {
            for (int offset = 0; offset < size; offset += 16384)
                await client.SendAsync(payload.AsMemory(offset, Math.Min(16384, size - offset)), SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0) received.Write(buffer, 0, n);
        await send;
        return received.ToArray().AsSpan().SequenceEqual(payload) ? "ok" : "MISMATCH " + received.Length;
    }
}
