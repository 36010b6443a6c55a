using System.Text;
using Kernel.Net.Http;

namespace Unikernel.Runtime.Tests;

/// <summary>
/// The boot's HTTP/1.1 pieces (runtime/Kernel/Net/Http): the request the metadata client sends and the reading of a
/// response that arrives in pieces, framed by Content-Length, chunked coding or the end of the stream.
/// </summary>
public unsafe class BootHttpTests
{
    [Fact]
    public void WritesARequestWithHostAndALengthForPut()
    {
        var buffer = new byte[256];
        fixed (byte* b = buffer)
        fixed (byte* token = "abc=="u8)
        {
            var put = new HttpRequestText(b, buffer.Length, "PUT", "/latest/api/token", "169.254.169.254");
            put.Header("X-aws-ec2-metadata-token-ttl-seconds", "300");
            put.End();
            Assert.Equal("PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\nX-aws-ec2-metadata-token-ttl-seconds: 300\r\n"
                         + "Content-Length: 0\r\n\r\n", Encoding.ASCII.GetString(buffer, 0, put.Length));
            var get = new HttpRequestText(b, buffer.Length, "GET", "/latest/user-data", "h");
            get.Header("X-aws-ec2-metadata-token", token, 5);
            get.End();
            Assert.Equal("GET /latest/user-data HTTP/1.1\r\nHost: h\r\nX-aws-ec2-metadata-token: abc==\r\n\r\n",
                         Encoding.ASCII.GetString(buffer, 0, get.Length));
            var tooLong = new HttpRequestText(b, 20, "GET", "/a/very/long/path/indeed", "h");
            tooLong.End();
            Assert.Equal(-1, tooLong.Length);
        }
    }

    private static (HttpResponseState State, int Status, string Body, string? Flavor) Parse(string text, bool ended, int upTo = -1)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int length = upTo < 0 ? bytes.Length : upTo;
        fixed (byte* p = bytes)
        {
            var response = default(HttpResponse);
            var state = response.Parse(p, length, ended);
            if (state != HttpResponseState.Complete) return (state, 0, "", null);
            byte* flavor = response.Header("metadata-flavor", out int flavorLength);
            return (state, response.Status, Encoding.UTF8.GetString(response.Body, response.BodyLength),
                    flavor == null ? null : Encoding.UTF8.GetString(flavor, flavorLength));
        }
    }

    [Fact]
    public void ReadsAContentLengthResponseOnlyOnceAllOfItIsThere()
    {
        const string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nMetadata-Flavor:  Google \r\nContent-Length: 5\r\n\r\nA=1\nB";
        Assert.Equal(HttpResponseState.Incomplete, Parse(response, ended: false, upTo: 20).State);
        Assert.Equal(HttpResponseState.Incomplete, Parse(response, ended: false, upTo: response.Length - 1).State);
        Assert.Equal(HttpResponseState.Malformed, Parse(response, ended: true, upTo: response.Length - 1).State);
        Assert.Equal((HttpResponseState.Complete, 200, "A=1\nB", "Google"), Parse(response, ended: false));
    }

    [Fact]
    public void DecodesChunkedBodiesAndBodiesEndedByTheStream()
    {
        const string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nA=1\n\r\nA\r\nB=22222222\r\n0\r\nX-Trailer: t\r\n\r\n";
        Assert.Equal(HttpResponseState.Incomplete, Parse(chunked, ended: false, upTo: chunked.Length - 2).State);
        Assert.Equal((HttpResponseState.Complete, 200, "A=1\nB=22222222", null), Parse(chunked, ended: false));
        Assert.Equal((HttpResponseState.Complete, 404, "not found", null), Parse("HTTP/1.0 404 Not Found\r\n\r\nnot found", ended: true));
        Assert.Equal(HttpResponseState.Incomplete, Parse("HTTP/1.0 404 Not Found\r\n\r\nnot", ended: false).State);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")]
    public void RefusesWhatIsNotAnHttpResponse(string text)
    {
        Assert.Equal(HttpResponseState.Malformed, Parse(text, ended: false).State);
    }
}
