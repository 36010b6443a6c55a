using Unikernel.Tools.Inspect;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

public class AcceleratorTests
{
    private sealed class FakeKvmHost : IKvmHost
    {
        public string? Problem { get; init; }
        public string CurrentFingerprint { get; init; } = "boot-1|qemu-a";
        public KvmVerdict? Cached { get; set; }
        public bool ProbeWorks { get; init; }
        public int Probes { get; private set; }
        public int Saves { get; private set; }

        public string? DeviceProblem() => Problem;
        public string Fingerprint() => CurrentFingerprint;
        public KvmVerdict? LoadVerdict() => Cached;
        public void SaveVerdict(KvmVerdict verdict) { Saves++; Cached = verdict; }
        public KvmVerdict Probe(string fingerprint)
        {
            Probes++;
            return new KvmVerdict(ProbeWorks, ProbeWorks ? "ran" : "KVM internal error", fingerprint, DateTimeOffset.UnixEpoch);
        }
    }

    [Theory]
    [InlineData(Accelerator.Kvm)]
    [InlineData(Accelerator.Tcg)]
    public void AnExplicitChoiceIsKeptWithoutLookingAtTheHost(Accelerator requested)
    {
        var host = new FakeKvmHost { Problem = "no /dev/kvm" };
        var choice = AcceleratorChooser.Choose(requested, host);
        Assert.Equal(requested, choice.Accelerator);
        Assert.False(choice.Probed);
        Assert.Equal(0, host.Probes);
    }

    [Fact]
    public void ExplicitAcceleratorIsKeptByResolve()
    {
        Assert.Equal(Accelerator.Tcg, QemuCommand.ResolveAccelerator(Accelerator.Tcg));
        Assert.Equal(Accelerator.Kvm, QemuCommand.ResolveAccelerator(Accelerator.Kvm));
    }

    [Fact]
    public void AutoWithoutAUsableDeviceIsTcgWithoutAProbe()
    {
        var host = new FakeKvmHost { Problem = "no /dev/kvm", ProbeWorks = true };
        var choice = AcceleratorChooser.Choose(Accelerator.Auto, host);
        Assert.Equal(Accelerator.Tcg, choice.Accelerator);
        Assert.Equal("no /dev/kvm", choice.Reason);
        Assert.Equal(0, host.Probes);
    }

    [Theory]
    [InlineData(true, Accelerator.Kvm)]
    [InlineData(false, Accelerator.Tcg)]
    public void AutoProbesOnceAndCachesTheVerdict(bool works, Accelerator expected)
    {
        var host = new FakeKvmHost { ProbeWorks = works };
        var first = AcceleratorChooser.Choose(Accelerator.Auto, host);
        var second = AcceleratorChooser.Choose(Accelerator.Auto, host);
        Assert.Equal(expected, first.Accelerator);
        Assert.Equal(expected, second.Accelerator);
        Assert.True(first.Probed);
        Assert.False(second.Probed);
        Assert.Equal(1, host.Probes);
        Assert.Equal(1, host.Saves);
    }

    [Fact]
    public void AVerdictForAnotherBootOrQemuIsProbedAgain()
    {
        var host = new FakeKvmHost { ProbeWorks = false, CurrentFingerprint = "boot-2|qemu-a" };
        host.SaveVerdict(new KvmVerdict(true, "ran", "boot-1|qemu-a", DateTimeOffset.UnixEpoch));
        var choice = AcceleratorChooser.Choose(Accelerator.Auto, host);
        Assert.Equal(Accelerator.Tcg, choice.Accelerator);
        Assert.Equal(1, host.Probes);
    }

    [Fact]
    public void ACachedVerdictDecidesWithoutAProbe()
    {
        var host = new FakeKvmHost { ProbeWorks = false };
        host.SaveVerdict(new KvmVerdict(true, "ran", host.CurrentFingerprint, DateTimeOffset.UnixEpoch));
        Assert.Equal(Accelerator.Kvm, AcceleratorChooser.Choose(Accelerator.Auto, host).Accelerator);
        Assert.Equal(0, host.Probes);
    }

    [Theory]
    [InlineData(false, 42, "", true, "")]
    [InlineData(false, 255, "KVM internal error. Suberror: 1\nemulation failure\n", false, "SSE")]
    [InlineData(true, QemuRunner.TimeoutStatus, "", false, "did not finish")]
    [InlineData(false, 1, "qemu-system-x86_64: failed to initialize kvm: Permission denied\n", false, "failed to initialize kvm")]
    [InlineData(false, 0, "", false, "QEMU exited")]
    public void TheProbeResultIsInterpreted(bool timedOut, int status, string console, bool works, string reasonPart)
    {
        var verdict = KvmHost.Interpret(new BootResult(console, status, status, timedOut, TimeSpan.Zero), "fp", DateTimeOffset.UnixEpoch);
        Assert.Equal(works, verdict.Works);
        Assert.Contains(reasonPart, verdict.Reason);
        Assert.Equal("fp", verdict.Fingerprint);
    }

    [Fact]
    public void TheVerdictCacheRoundTripsAndToleratesGarbage()
    {
        using var dir = new TempDirectory();
        var host = new KvmHost("qemu-system-x86_64", Path.Combine(dir.Path, "uk"));
        Assert.Null(host.LoadVerdict());
        var verdict = new KvmVerdict(false, "KVM internal error", host.Fingerprint(), DateTimeOffset.UnixEpoch);
        host.SaveVerdict(verdict);
        Assert.Equal(verdict, host.LoadVerdict());
        File.WriteAllText(host.CachePath, "{ not json");
        Assert.Null(host.LoadVerdict());
    }

    [Fact]
    public void TheFingerprintNamesTheProbeAndIsStable()
    {
        var host = new KvmHost("qemu-system-x86_64", "/nonexistent");
        Assert.StartsWith("probe-", host.Fingerprint());
        Assert.Equal(host.Fingerprint(), host.Fingerprint());
    }

    [Fact]
    public void TheProbeGuestIsAPvhImage()
    {
        var elf = ElfFile.Parse(ProbeGuest.Build());
        Assert.True(elf.HasPvhNote);
        var load = Assert.Single(elf.Loads);
        Assert.Equal(ProbeGuest.LoadAddress, load.VirtualAddress);
        Assert.True(load.Executable);
        Assert.True(load.ContainsAddress(elf.Entry));
        var note = Assert.Single(elf.ProgramHeaders, p => p.Type == ElfProgramHeader.Note);
        Assert.Equal(4UL, note.Alignment);
    }

    [SkippableFact]
    public void TheProbeGuestRunsToItsEndUnderTcg()
    {
        Skip.IfNot(File.Exists("/usr/bin/qemu-system-x86_64") || File.Exists("/usr/local/bin/qemu-system-x86_64"),
                   "qemu-system-x86_64 is not installed (make setup installs it)");
        using var dir = new TempDirectory();
        string guest = dir.File("probe.elf");
        File.WriteAllBytes(guest, ProbeGuest.Build());
        var result = QemuRunner.RunAsync(new QemuOptions { ImagePath = guest, Accelerator = Accelerator.Tcg, Memory = "16M" }, TimeSpan.FromSeconds(30))
            .GetAwaiter().GetResult();
        Assert.False(result.TimedOut);
        Assert.Equal(ProbeGuest.ExpectedStatus, result.ExitStatus);
    }
}
