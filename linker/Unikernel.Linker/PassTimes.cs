using System.Diagnostics;

namespace Unikernel.Linker;

/// <summary>
/// Wall time per pass, printed with --print-pass-times (like mold's --perf): where a link's time goes
/// is the first question when it is slow.
/// </summary>
public sealed class PassTimes(bool enabled)
{
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly List<(string Pass, double Milliseconds)> _passes = [];
    private double _last;

    public void Mark(string pass)
    {
        if (!enabled) return;
        double now = _total.Elapsed.TotalMilliseconds;
        _passes.Add((pass, now - _last));
        _last = now;
    }

    public void Print(TextWriter writer, bool total = true)
    {
        if (!enabled) return;
        foreach (var (pass, ms) in _passes)
            writer.WriteLine($"uk-ld: {pass,-22} {ms,8:F1} ms");
        if (total)
            writer.WriteLine($"uk-ld: {"total",-22} {_total.Elapsed.TotalMilliseconds,8:F1} ms");
    }
}
