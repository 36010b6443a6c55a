using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// samples/crypto: every cryptography family (hashes, HMAC, PBKDF2, HKDF, random numbers, AES-CBC/GCM, RSA, ECDSA,
/// ECDH, X.509 chains, SslStream over loopback) against known answers, in the image and as the same static executable
/// on Linux, both linked with the package's static OpenSSL.
/// </summary>
public class CryptoAppTests
{
    private const string App = "crypto";

    // HOME as on Linux: .NET finds its per-user certificate stores under it, and without it asks /etc/passwd.
    private static readonly string[] Environment = ["HOME=/root"];

    [Fact]
    public async Task KnownAnswersMatchLinux()
    {
        var linux = AppImages.RunOnLinux(App, ["kat"], Environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["kat"], Environment, memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Equal(0, linux.ExitStatus);
        Assert.Contains("crypto kat: 40 checks, 0 failed", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(linux.ExitStatus, guest.ExitStatus);
        Assert.DoesNotContain("unimplemented system call", guest.Console);
    }

    // The image's CA bundle (UnikernelCaCertificates: Debian's, at /etc/ssl/certs/ca-certificates.crt) is .NET's system
    // trust store there, as /etc/ssl/certs is on Linux: a public root is trusted, the sample's own root is not.
    [Fact]
    public async Task SystemTrustComesFromTheImagesCaBundle()
    {
        var linux = AppImages.RunOnLinux(App, ["system-trust"], Environment);
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["system-trust"], Environment, memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("crypto system-trust: 3 checks, 0 failed", linux.Lines);
        Assert.Equal(linux.Lines, AppImages.AppLines(guest));
        Assert.Equal(0, guest.ExitStatus);
    }

    // OpenSSL looks for its configuration file and goes on with built-in defaults when there is none (the image has
    // none): no error, and nothing else it needs from the file system.
    [Fact]
    public async Task OpenSslRunsWithoutAConfigurationFile()
    {
        var guest = await AppImages.BootAsync(App, MachineKind.Microvm, ["kat"], Environment, kernelOptions: ["uk.strace"], memory: "512M");

        Assert.False(guest.TimedOut, guest.Console);
        Assert.Contains("open(\"/usr/lib/ssl/openssl.cnf\", 0x8000, 0x1b6) = -ENOENT", guest.Console);
        Assert.Equal(0, guest.ExitStatus);
    }

    // The archives are on every app's link line, and the linker takes only what the app calls: an app without
    // cryptography carries none of OpenSSL (its executable keeps its symbols, so their names would show).
    [Fact]
    public void OnlyAppsThatUseCryptographyCarryOpenSsl()
    {
        byte[] marker = Encoding.ASCII.GetBytes("OPENSSL_init_crypto");
        Assert.Equal(-1, File.ReadAllBytes(AppImages.LinuxExecutable("hello")).AsSpan().IndexOf(marker));
        Assert.NotEqual(-1, File.ReadAllBytes(AppImages.LinuxExecutable(App)).AsSpan().IndexOf(marker));
    }
}
