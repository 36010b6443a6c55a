using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

// ASP.NET Core Data Protection: a value sealed into a cookie (encrypted and signed, as authentication and antiforgery
// cookies are) and read back. The key ring is in memory (the key manager as usual, creating and rotating keys, with a
// repository that keeps them in a list): the image has no writable storage that outlives the instance, and the
// default (keys in $HOME/.aspnet) would write on Linux what the image cannot keep. So a cookie is valid only for the
// instance that wrote it, until it stops. Instances behind a load balancer need one key ring shared by all: ship it
// read-only with the image (a content file or UnikernelFile folder, PersistKeysToFileSystem on it plus
// DisableAutomaticKeyGeneration, rotated by publishing again) or keep it in a store the instances reach over the
// network.
internal static class ProtectedCookie
{
    private const string CookieName = "webapp.protected";
    private const string Purpose = "webapp.protected-cookie";

    public static void AddInMemoryDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("webapp");
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = new InMemoryKeyRepository());
    }

    public static void MapProtectedCookie(this WebApplication app)
    {
        app.MapGet("/cookie/set", (string value, HttpContext context, IDataProtectionProvider provider) =>
        {
            string payload = provider.CreateProtector(Purpose).Protect(value);
            context.Response.Cookies.Append(CookieName, payload, new CookieOptions { HttpOnly = true, Secure = context.Request.IsHttps });
            return Results.Text($"sealed {value.Length} characters into {payload.Length}\n");
        });

        app.MapGet("/cookie/get", (HttpContext context, IDataProtectionProvider provider) =>
        {
            if (!context.Request.Cookies.TryGetValue(CookieName, out string? payload))
                return Results.Text("no cookie\n", statusCode: StatusCodes.Status401Unauthorized);
            try
            {
                return Results.Text($"value={provider.CreateProtector(Purpose).Unprotect(payload)}\n");
            }
            catch (CryptographicException)
            {
                // Tampered with, or sealed by another key ring (another instance, or this one before a restart).
                return Results.Text("refused\n", statusCode: StatusCodes.Status400BadRequest);
            }
        });
    }
}
