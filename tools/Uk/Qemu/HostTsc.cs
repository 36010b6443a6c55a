using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// The TSC rate a guest sees, for the kernel's uk.tsc.khz option: with it the kernel skips its ~1 ms calibration
/// against the PIT (runtime/Kernel/Time/TscCalibration.cs), about a third of hello's boot instructions. Under
/// -icount shift=0 the guest TSC counts instructions: 1 GHz exactly. Under QEMU TCG otherwise the guest's rdtsc is the
/// host's (plus an offset), so the host's rate is the guest's: taken from the host's own CPUID where it states it
/// (leaf 0x15, the hypervisor leaf 0x40000010), else measured here once per host boot against CLOCK_MONOTONIC -- the
/// clock QEMU's virtual time follows under TCG -- over 40 ms (a few ppm) and cached in ~/.cache/uk/tsc-khz. Nothing under
/// KVM: the guest has kvmclock or CPUID leaves there, and KVM may scale the TSC. Nothing either when the host's TSC
/// is not invariant (CPUID 0x80000007 EDX bit 8), because its rate then follows the host's power states.
/// </summary>
public static class HostTsc
{
    public const string Option = "uk.tsc.khz";
    public const ulong InstructionCountingKilohertz = 1_000_000;
    private const string CacheFileName = "tsc-khz";
    private static readonly TimeSpan MeasurementWindow = TimeSpan.FromMilliseconds(40);

    /// <summary>The uk.tsc.khz=N word for this boot, or null when the guest finds the rate itself.</summary>
    public static string? KernelOption(Accelerator accelerator, bool instructionCounting)
    {
        ulong? khz = instructionCounting ? InstructionCountingKilohertz
                   : accelerator == Accelerator.Tcg ? HostKilohertz(KvmHost.DefaultCacheDirectory()) : null;
        return khz is { } k ? $"{Option}={k.ToString(CultureInfo.InvariantCulture)}" : null;
    }

    /// <summary>The host TSC's rate in kHz, or null when it is not invariant or cannot be read on this host.</summary>
    public static ulong? HostKilohertz(string cacheDirectory)
    {
        if (!X86Base.IsSupported || !OperatingSystem.IsLinux() || !IsInvariant()) return null;
        if (StatedKilohertz() is { } stated) return stated;
        string boot = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "";
        string cache = Path.Combine(cacheDirectory, CacheFileName);
        if (boot.Length > 0 && ReadCache(cache, boot) is { } cached) return cached;
        ulong? measured = Measure();
        if (measured is { } khz && boot.Length > 0) WriteCache(cache, boot, khz);
        return measured;
    }

    private static bool IsInvariant()
    {
        if ((uint)X86Base.CpuId(unchecked((int)0x8000_0000), 0).Eax < 0x8000_0007) return false;
        return ((uint)X86Base.CpuId(unchecked((int)0x8000_0007), 0).Edx & (1u << 8)) != 0;
    }

    // The same leaves, read the same way, as the kernel's TscCalibration.
    private static ulong? StatedKilohertz()
    {
        if ((uint)X86Base.CpuId(0, 0).Eax >= 0x15)
        {
            var (denominator, numerator, crystal, _) = X86Base.CpuId(0x15, 0);
            if (denominator != 0 && numerator != 0 && crystal != 0)
                return (ulong)(uint)crystal * (uint)numerator / (uint)denominator / 1000;
        }
        if (((uint)X86Base.CpuId(1, 0).Ecx & (1u << 31)) != 0 && (uint)X86Base.CpuId(0x4000_0000, 0).Eax >= 0x4000_0010)
        {
            uint khz = (uint)X86Base.CpuId(0x4000_0010, 0).Eax;
            if (khz != 0) return khz;
        }
        return null;
    }

    private static ulong? ReadCache(string path, string boot)
    {
        try
        {
            string[] fields = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return fields.Length == 2 && fields[0] == boot && ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong khz) && khz > 0
                ? khz : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void WriteCache(string path, string boot, ulong khz)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temp, $"{boot} {khz.ToString(CultureInfo.InvariantCulture)}\n");
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* measured again next time */ }
    }

    /// <summary>TSC ticks over CLOCK_MONOTONIC nanoseconds across the window, each end the TSC read with the
    /// tightest monotonic-clock bracket of 200 tries (a read the scheduler interrupted is not used).</summary>
    public static ulong? Measure()
    {
        using var reader = TscReader.Create();
        if (reader is null) return null;
        var (tsc0, ns0) = reader.Sample();
        var until = Stopwatch.GetTimestamp() + (long)(MeasurementWindow.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until) Thread.Sleep(5);
        var (tsc1, ns1) = reader.Sample();
        if (ns1 <= ns0 || tsc1 <= tsc0) return null;
        return (ulong)Math.Round((tsc1 - tsc0) * 1e6 / (ns1 - ns0));
    }

    /// <summary>rdtsc, which .NET has no intrinsic for: ten bytes of machine code in a page of their own,
    /// written, then made read+execute (never writable and executable at once).</summary>
    private sealed unsafe class TscReader : IDisposable
    {
        // rdtsc; shl rdx, 32; or rax, rdx; ret
        private static readonly byte[] Code = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];
        private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
        private const nuint PageSize = 4096;
        private readonly void* page;

        private TscReader(void* page) => this.page = page;

        public static TscReader? Create()
        {
            if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
            void* page = mmap(null, PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (page == (void*)-1) return null;
            Code.CopyTo(new Span<byte>(page, Code.Length));
            if (mprotect(page, PageSize, ProtRead | ProtExec) != 0) { munmap(page, PageSize); return null; }
            return new TscReader(page);
        }

        public ulong Read() => ((delegate* unmanaged<ulong>)page)();

        public (double Tsc, double Nanoseconds) Sample()
        {
            long bestBracket = long.MaxValue;
            double tsc = 0, ns = 0;
            for (int i = 0; i < 200; i++)
            {
                long before = Stopwatch.GetTimestamp();
                ulong t = Read();
                long after = Stopwatch.GetTimestamp();
                if (after - before < bestBracket)
                {
                    bestBracket = after - before;
                    tsc = t;
                    ns = (before + (after - before) / 2.0) * 1e9 / Stopwatch.Frequency;
                }
            }
            return (tsc, ns);
        }

        public void Dispose() => munmap(page, PageSize);

        [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);
        [DllImport("libc", SetLastError = true)] private static extern int mprotect(void* address, nuint length, int protection);
        [DllImport("libc", SetLastError = true)] private static extern int munmap(void* address, nuint length);
    }
}
