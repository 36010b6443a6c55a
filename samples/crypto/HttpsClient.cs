using System.Net;

namespace CryptoSample;

/// <summary>HttpClient over HTTPS with the system's trust: no validation callback, the chain must reach a trusted root.</summary>
static class HttpsClient
{
    public static async Task GetAsync(Checks c, Uri url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using HttpResponseMessage response = await client.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();
        c.Expect("https-get", $"{(int)response.StatusCode} {response.Version} '{body}'", $"{(int)HttpStatusCode.OK} 1.1 'hello over TLS from the host'");
    }
}
