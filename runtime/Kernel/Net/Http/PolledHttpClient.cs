using Kernel.Net.Tcp;

namespace Kernel.Net.Http
{
    // One HTTP/1.1 exchange over the kernel's own TCP while nothing else runs (PolledTcpClient): connect, send the
    // request, read the response into the caller's buffer until it is complete (HttpResponse), close. What the boot's
    // cloud sources use to ask the instance metadata server.
    internal static unsafe class PolledHttpClient
    {
        /// <summary>
        /// Sends <paramref name="request"/> to <paramref name="address"/>:<paramref name="port"/> and reads the response
        /// into <paramref name="buffer"/>; null and the response, or what went wrong ("no answer", "connection refused",
        /// "no complete response in time", "response larger than N bytes", "not an HTTP response").
        /// </summary>
        public static string Exchange(IpAddress address, ushort port, byte* request, int requestLength, byte* buffer, int capacity, ulong deadline, out HttpResponse response)
        {
            response = default;
            string problem;
            TcpConnection c = PolledTcpClient.Connect(address, port, deadline, out problem);
            if (c == null) return problem;
            if (!PolledTcpClient.SendAll(c, request, requestLength, deadline))
            {
                PolledTcpClient.Close(c);
                return "the request could not be sent in time";
            }
            int length = 0;
            while (true)
            {
                if (length == capacity)
                {
                    problem = "a response larger than the kernel takes";
                    break;
                }
                int n = PolledTcpClient.Receive(c, buffer + length, capacity - length, deadline);
                if (n < 0) { problem = "no complete response in time"; break; }
                bool ended = n == 0;
                length += n;
                HttpResponseState state = response.Parse(buffer, length, ended);
                if (state == HttpResponseState.Complete) break;
                if (state == HttpResponseState.Malformed) { problem = "not an HTTP/1.1 response"; break; }
                if (ended) { problem = "the response was cut off"; break; }
            }
            PolledTcpClient.Close(c);
            return problem;
        }
    }
}
