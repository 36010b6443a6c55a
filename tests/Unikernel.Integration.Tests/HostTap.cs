using System.Diagnostics;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A tap device made for one test (`ip tuntap add`; needs root and /dev/net/tun) on its own /24, host side .1; deleted
/// when disposed. The subnet is picked among 10.77.0.0/16's so that it cannot clash with the host's own networks.
/// </summary>
internal sealed class HostTap : IDisposable
{
    public string Name { get; }
    private readonly int _subnet;

    private HostTap(string name, int subnet) { Name = name; _subnet = subnet; }

    /// <summary>The address .<paramref name="host"/> of the tap's subnet.</summary>
    public string Address(int host) => $"10.77.{_subnet}.{host}";

    public static HostTap Create()
    {
        if (!File.Exists("/dev/net/tun")) throw new Xunit.Sdk.XunitException("/dev/net/tun is missing: the tap test needs the tun module");
        int subnet = Random.Shared.Next(1, 255);
        var tap = new HostTap($"uktest{Environment.ProcessId % 10000}", subnet);
        Ip("tuntap", "add", "dev", tap.Name, "mode", "tap");
        try
        {
            Ip("addr", "add", tap.Address(1) + "/24", "dev", tap.Name);
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
        try { Ip("link", "delete", Name); } catch (Xunit.Sdk.XunitException) { }
    }

    private static void Ip(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new Xunit.Sdk.XunitException($"ip {string.Join(' ', args)}: {error.Trim()} (the tap test needs root: ip tuntap add)");
    }
}
