using System.Diagnostics;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// A tap device made for one test or benchmark run (`ip tuntap add`; needs root and /dev/net/tun), host side .1 of a
/// /24 picked at random in 10.<c>secondOctet</c>.0.0/16 -- away from the host's own networks -- and ::1 of the
/// matching unique-local fd00:<c>secondOctet</c>:N::/64, and deleted when disposed. What `uk run --tap` expects a
/// user to have made (<see cref="TapDevice"/>).
/// </summary>
public sealed class TemporaryTap : IDisposable
{
    public string Name { get; }
    private readonly string _prefix, _prefix6;

    private TemporaryTap(string name, string prefix, string prefix6) { Name = name; _prefix = prefix; _prefix6 = prefix6; }

    /// <summary>The address .<paramref name="host"/> of the tap's subnet (.1 is the host's).</summary>
    public string Address(int host) => _prefix + host;

    /// <summary>The IPv6 address ::<paramref name="host"/> of the tap's /64 (::1 is the host's).</summary>
    public string Address6(int host) => _prefix6 + host.ToString("x");

    /// <summary>Makes and configures the device; an InvalidOperationException says what failed (no root, no tun).</summary>
    public static TemporaryTap Create(string namePrefix, int secondOctet)
    {
        if (!File.Exists("/dev/net/tun")) throw new InvalidOperationException("/dev/net/tun is missing: a tap device needs the tun module");
        int subnet = Random.Shared.Next(1, 255);
        var tap = new TemporaryTap($"{namePrefix}{Environment.ProcessId % 10000}", $"10.{secondOctet}.{subnet}.", $"fd00:{secondOctet:x}:{subnet:x}::");
        Ip("tuntap", "add", "dev", tap.Name, "mode", "tap");
        try
        {
            Ip("addr", "add", tap.Address(1) + "/24", "dev", tap.Name);
            Ip("-6", "addr", "add", tap.Address6(1) + "/64", "dev", tap.Name, "nodad");   // usable at once: no duplicate detection
            Ip("link", "set", tap.Name, "up");
        }
        catch
        {
            tap.Dispose();
            throw;
        }
        return tap;
    }

    public void Dispose()
    {
        try { Ip("link", "delete", Name); } catch (InvalidOperationException) { }
    }

    private static void Ip(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error.Trim()} (making a tap device needs root and iproute2)");
    }
}
