using Kernel.Net.Tcp;

namespace Kernel.Net.Http
{
    // HTTP/1.1 exchanges over the kernel's own TCP while nothing else runs (PolledTcpClient): the request goes out, the
    // response is read into the caller's buffer until it is complete (HttpResponse). One connection serves the
    // exchanges in a row (HTTP/1.1's persistent connections) until the server closes it or Finish: a metadata server
    // reached through QEMU's guestfwd is one host connection for the whole boot, and a cloud's needs no new handshake
    // per request. A connection the server closed while idle is replaced once. What the boot's cloud sources use.
    internal static unsafe class PolledHttpClient
    {
        private static TcpConnection s_connection;
        private static IpAddress s_address;
        private static ushort s_port;

        /// <summary>
        /// Sends <paramref name="request"/> to <paramref name="address"/>:<paramref name="port"/> and reads the response
        /// into <paramref name="buffer"/>; null and the response, or what went wrong ("no answer", "connection refused",
        /// "no complete response in time", "a response larger than the kernel takes", "not an HTTP/1.1 response").
        /// </summary>
        public static string Exchange(IpAddress address, ushort port, byte* request, int requestLength, byte* buffer, int capacity, ulong deadline, out HttpResponse response)
        {
            bool silent;
            string problem = ExchangeOnce(address, port, request, requestLength, buffer, capacity, deadline, out response, out silent);
            if (silent) problem = ExchangeOnce(address, port, request, requestLength, buffer, capacity, deadline, out response, out silent);
            return problem;
        }

        /// <summary>Closes the connection kept for the next exchange.</summary>
        public static void Finish()
        {
            if (s_connection == null) return;
            PolledTcpClient.Close(s_connection);
            s_connection = null;
        }

        // silent: a kept connection ended before any byte of the response came (the server had closed it): try a new one.
        private static string ExchangeOnce(IpAddress address, ushort port, byte* request, int requestLength, byte* buffer, int capacity, ulong deadline,
                                           out HttpResponse response, out bool silent)
        {
            response = default;
            silent = false;
            if (s_connection != null && (s_address != address || s_port != port || s_connection.FinReceived || s_connection.State != TcpState.Established)) Finish();
            bool kept = s_connection != null;
            if (!kept)
            {
                string refused;
                s_connection = PolledTcpClient.Connect(address, port, deadline, out refused);
                if (s_connection == null) return refused;
                s_address = address;
                s_port = port;
            }
            if (!PolledTcpClient.SendAll(s_connection, request, requestLength, deadline))
            {
                Finish();
                silent = kept;
                return "the request could not be sent in time";
            }
            int length = 0;
            string problem = null;
            bool ended = false;
            while (true)
            {
                if (length == capacity) { problem = "a response larger than the kernel takes"; break; }
                int n = PolledTcpClient.Receive(s_connection, buffer + length, capacity - length, deadline);
                if (n < 0) { problem = "no complete response in time"; break; }
                ended = n == 0;
                length += n;
                HttpResponseState state = response.Parse(buffer, length, ended);
                if (state == HttpResponseState.Complete) break;
                if (state == HttpResponseState.Malformed && !(ended && length == 0)) { problem = "not an HTTP/1.1 response"; break; }
                if (ended)
                {
                    silent = kept && length == 0;
                    problem = length == 0 ? "the server closed the connection without a response" : "the response was cut off";
                    break;
                }
            }
            if (problem != null || ended || response.HeaderIs("Connection", "close")) Finish();
            return problem;
        }
    }
}
