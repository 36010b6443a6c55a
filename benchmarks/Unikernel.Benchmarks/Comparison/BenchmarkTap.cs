using System.Diagnostics;

namespace Unikernel.Benchmarks.Comparison;

/// <summary>
/// The tap device of the http benchmark's tap runs: made with `ip tuntap add` (root and /dev/net/tun), host side .1 of
/// a /24 picked in 10.78.0.0/16 (away from the host's own networks and the integration tests' 10.77), guest .2;
/// deleted when disposed. One guest at a time is on it, so every variant reuses the same addresses.
/// </summary>
public sealed class BenchmarkTap : IDisposable
{
    public string Name { get; }
    public string HostAddress { get; }
    public string GuestAddress { get; }

    private BenchmarkTap(string name, int subnet)
    {
        Name = name;
        HostAddress = $"10.78.{subnet}.1";
        GuestAddress = $"10.78.{subnet}.2";
    }

    public static BenchmarkTap Create()
    {
        if (!File.Exists("/dev/net/tun")) throw new InvalidOperationException("/dev/net/tun is missing: the tap runs need the tun module (or --networks user)");
        var tap = new BenchmarkTap($"ukbench{Environment.ProcessId % 10000}", Random.Shared.Next(1, 255));
        Ip("tuntap", "add", "dev", tap.Name, "mode", "tap");
        try
        {
            Ip("addr", "add", tap.HostAddress + "/24", "dev", tap.Name);
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
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error.Trim()} (the tap runs need root; or --networks user)");
    }
}
