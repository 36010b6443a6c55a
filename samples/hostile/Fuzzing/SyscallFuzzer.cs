using System.Text;

namespace Hostile.Fuzzing;

/// <summary>
/// A seeded, bounded system call fuzzer: random call numbers with arguments drawn from values that find bugs
/// (0, -1, small and huge integers, page-aligned addresses in every kernel range, non-canonical addresses,
/// pointers into a scratch buffer fenced by PROT_NONE guard pages, descriptors it opened itself). The calls
/// that would legitimately end or cripple the app are left out or defused (<see cref="CallPolicy"/>): the point
/// is that nothing the app can ask breaks the kernel. The sequence of calls depends only on the seed.
/// </summary>
internal sealed unsafe class SyscallFuzzer
{
    public const int ScratchSize = 64 * 1024, GuardSize = 16 * 1024;

    private readonly Xoshiro256 _random;
    private readonly FuzzResources _resources;
    private readonly long[] _values;
    private readonly long[] _pointers;

    /// <summary>The call in progress (for the watchdog's report) and how many have completed.</summary>
    public volatile int Completed;
    public string Current = "";

    private readonly IReadOnlySet<long> _skipped;

    public SyscallFuzzer(ulong seed, FuzzResources resources, IReadOnlySet<long> skipped)
    {
        _skipped = skipped;
        _random = new Xoshiro256(seed);
        _resources = resources;
        resources.FillScratch(_random);
        long scratch = resources.Scratch;
        _pointers =
        [
            0, scratch, scratch + 8, scratch + ScratchSize / 2, scratch + ScratchSize - 8, scratch + ScratchSize - 1,
            resources.Paths, resources.SmallTimespec, resources.Iovecs, resources.Loopback,
            scratch - GuardSize, scratch + ScratchSize,   // the guard pages
            0x1000_0000_0000,                              // user window, never mapped
            KernelRanges.Page0 + 8, KernelRanges.KernelImage, KernelRanges.KernelImageEnd, KernelRanges.UpperHalf,
            KernelRanges.UpperKernelImage, KernelRanges.UpperLapic, KernelRanges.NonCanonicalLow,
            KernelRanges.NonCanonicalHigh, KernelRanges.TopPage, -1,
        ];
        _values =
        [
            0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 4096, 65536, 0x7FFF_FFFF, 0xFFFF_FFFF, long.MaxValue, long.MinValue, -1, -2,
            -4096, 1L << 47,   // no mid-window addresses: the app's own heap and stacks live there
        ];
    }

    public FuzzSummary Run(int count)
    {
        var summary = new FuzzSummary();
        var args = new long[6];
        for (int i = 0; i < count; i++)
        {
            long nr = NextNumber();
            for (int a = 0; a < 6; a++) args[a] = NextValue();
            // The policy of the call a kernel that ignored the x32 bit or the high bits would run.
            long policyNumber = nr > 0 ? nr & 0x3FFF_FFFF : nr;
            if (_skipped.Contains(policyNumber) || !CallPolicy.Defuse(policyNumber, args, this))
            {
                summary.Skipped++;
                continue;
            }
            Current = $"{nr}(0x{args[0]:x}, 0x{args[1]:x}, 0x{args[2]:x}, 0x{args[3]:x}, 0x{args[4]:x}, 0x{args[5]:x})";
            long r = Sys.Call(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
            summary.Record(r);
            CallPolicy.Undo(policyNumber, args, r);
            Completed = i + 1;
            if ((i & 1023) == 1023) _resources.Sweep();
        }
        _resources.Sweep();
        return summary;
    }

    private long NextNumber()
    {
        int roll = _random.Below(100);
        long nr = roll < 50 ? _random.Pick(CallPolicy.Favoured) : roll < 90 ? _random.Below(335) : roll < 97 ? 335 + _random.Below(177) : 0;
        if (roll >= 97)
        {
            // Numbers no table has: the x32 bit, bits above 32 (a kernel that truncates would run the low call, so
            // the low part is an allowed one), negative.
            long low = _random.Below(335);
            nr = _random.Below(3) switch { 0 => low | 0x4000_0000, 1 => low | (1L << 32), _ => -1 - _random.Below(4) };
            if (!CallPolicy.Allowed(low)) nr = -1;
        }
        return nr;
    }

    public long NextValue() => _random.Below(4) switch
    {
        0 => _random.Pick(_values),
        1 => NextPointer(),
        2 => _random.Pick(_resources.Descriptors),
        _ => _random.Below(2) == 0 ? (long)_random.Next() : (long)(_random.Next() & 0xFFFF),
    };

    public long NextPointer() => _random.Below(5) switch
    {
        0 => _resources.Scratch + _random.Below(ScratchSize),
        1 => KernelPage(),
        _ => _random.Pick(_pointers),
    };

    /// <summary>A page-aligned address in one of the kernel's ranges, or a non-canonical one.</summary>
    public long KernelPage() => _random.Below(4) switch
    {
        0 => KernelRanges.KernelImage + 4096L * _random.Below(0x300),
        1 => KernelRanges.UpperHalf + 4096L * _random.Below(1 << 20),
        2 => KernelRanges.NonCanonicalLow + 4096L * _random.Below(1 << 20),
        _ => KernelRanges.NonCanonicalHigh + 4096L * _random.Below(1 << 20),
    };

    public long NextDescriptor() => _random.Pick(_resources.Descriptors);
    public long SmallTimespec => _resources.SmallTimespec;
    public long ZeroTimespec => _resources.ZeroTimespec;
    public int Below(int bound) => _random.Below(bound);
}

/// <summary>Calls made, how many succeeded, and the errno counts of the rest.</summary>
internal sealed class FuzzSummary
{
    public int Calls, Succeeded, Skipped;
    public readonly SortedDictionary<string, int> Errors = new(StringComparer.Ordinal);

    public void Record(long result)
    {
        Calls++;
        if (result >= 0 || result < -4095) { Succeeded++; return; }
        string name = Errno.Name((int)-result);
        Errors[name] = Errors.GetValueOrDefault(name) + 1;
    }

    public string Format(ulong seed)
    {
        var text = new StringBuilder($"fuzz: seed {seed}: {Calls} calls, {Succeeded} succeeded, {Skipped} skipped, errno");
        foreach (var (name, n) in Errors.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal))
            text.Append($" {name}={n}");
        return text.ToString();
    }
}
