using System.Text.Json;
using Unikernel.Tools.Cli;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests;

public class CliTests
{

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void TheRootHelpListsTheCommands(string flag)
    {
        var (status, output, _) = Uk(flag);
        Assert.Equal(0, status);
        Assert.Contains("run", output);
        Assert.Contains("inspect", output);
    }

    [Fact]
    public void RunHasHelp()
    {
        var (status, output, _) = Uk("run", "--help");
        Assert.Equal(0, status);
        foreach (var option in new[] { "<image>", "--env", "-e", "--kernel-option", "-k", "--memory", "--cpus", "--machine", "--accel", "--icount", "--timeout", "--quiet", "--dry-run", "args" })
            Assert.Contains(option, output);
        Assert.Contains("microvm", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void InspectHasHelp()
    {
        var (status, output, _) = Uk("inspect", "--help");
        Assert.Equal(0, status);
        foreach (var option in new[] { "<image>", "--map", "--app-map", "--json", "--html", "--top" })
            Assert.Contains(option, output);
    }

    [Theory]
    [InlineData(new[] { "inspect" }, "uk inspect --help")]
    [InlineData(new[] { "inspect", "x.img", "--bogus" }, "uk inspect --help")]
    [InlineData(new[] { "inspect", "x.img", "--top", "0" }, "--top must be a whole number, 1 or more")]
    [InlineData(new[] { "run" }, "uk run --help")]
    [InlineData(new[] { "run", "x.img", "--machine", "sparc" }, "uk run --help")]
    [InlineData(new[] { "run", "x.img", "--timeout", "-1" }, "--timeout must be a whole number of seconds")]
    [InlineData(new[] { "frobnicate" }, "uk --help")]
    [InlineData(new string[0], "uk --help")]
    public void UsageErrorsExitWithTwoAndSayWhere(string[] args, string expected)
    {
        var (status, output, error) = Uk(args);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("uk: error:", error);
        Assert.Contains(expected, error);
        Assert.Equal("", output);
    }

    [Fact]
    public void RunWithoutTheImageIsUksOwnFailure()
    {
        var (status, _, error) = Uk("run", "/nonexistent/app.img", "--accel", "tcg");
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains("image not found", error);
    }

    [Fact]
    public void RunTakesABareEnvironmentNameFromUksOwnEnvironmentAsDockerDoes()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (status, output, _) = Uk("run", image, "--accel", "tcg", "-e", "UK_TEST_SURELY_UNSET", "-e", "PATH", "--dry-run");
        Assert.Equal(0, status);
        Assert.DoesNotContain("UK_TEST_SURELY_UNSET", output);
        Assert.Contains(Unikernel.Tools.Qemu.KernelCommandLine.Quote("PATH=" + Environment.GetEnvironmentVariable("PATH")), output);
    }

    [Fact]
    public void RunDryRunPrintsTheQemuCommandWithEveryOption()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (status, output, error) = Uk("run", image, "--dry-run", "--accel", "tcg", "--machine", "pc", "--memory", "64M", "--icount",
                                         "-e", "A=1", "--env", "B=two words", "-k", "uk.exit=3", "--", "x", "y z");
        Assert.Equal(0, status);
        Assert.Equal("", error);
        Assert.StartsWith("qemu-system-x86_64 -M pc -accel tcg ", output);
        Assert.Contains("-m 64M", output);
        Assert.Contains("-icount shift=0", output);
        Assert.Contains($"-kernel {image}", output);
        Assert.Contains("-append 'uk.tsc.khz=1000000 uk.exit=3 A=1 \"B=two words\" -- x \"y z\"'", output);   // -icount: a 1 GHz TSC
    }

    [Fact]
    public void RunDefaultsAreMicrovmAnd128M()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (_, output, _) = Uk("run", image, "--dry-run", "--accel", "tcg");
        Assert.Contains("-M microvm", output);
        Assert.Contains("-m 128M", output);
        Assert.Matches(@"-kernel \S+( -append uk\.tsc\.khz=\d+)?\n?$", output);   // nothing but the TSC rate, where uk knows it
    }

    [Fact]
    public void RunCpusGivesSmpAndMultiThreadedTcgAndRefusesBadCounts()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (status, four, _) = Uk("run", image, "--dry-run", "--accel", "tcg", "--cpus", "4");
        Assert.Equal(0, status);
        Assert.Contains("-accel tcg,thread=multi ", four);
        Assert.Contains("-smp 4 ", four);
        var (_, one, _) = Uk("run", image, "--dry-run", "--accel", "tcg", "--cpus", "1");
        Assert.Contains("-accel tcg ", one);
        Assert.DoesNotContain("-smp", one);   // one vCPU: the command of a machine without --cpus
        var (_, counted, _) = Uk("run", image, "--dry-run", "--accel", "tcg", "--cpus", "2", "--icount");
        Assert.Contains("-accel tcg ", counted);   // QEMU runs -icount on one TCG thread only
        Assert.Contains("-smp 2 ", counted);
        foreach (string bad in new[] { "0", "33", "two", "-1" })
        {
            var (refused, _, error) = Uk("run", image, "--dry-run", "--accel", "tcg", "--cpus", bad);
            Assert.Equal(2, refused);
            Assert.Contains("--cpus must be a whole number from 1 to 32", error);
        }
    }

    [Fact]
    public void DeployTakesCpusForEachInstanceWithRunsRule()
    {
        var (status, help, _) = Uk("deploy", "--help");
        Assert.Equal(0, status);
        Assert.Contains("--cpus", help);
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (refused, _, error) = Uk("deploy", image, "--cpus", "64");
        Assert.Equal(2, refused);
        Assert.Contains("--cpus must be a whole number from 1 to 32", error);
    }

    [Fact]
    public void RunGivesTheGuestTheTscRateUnderTcgOnlyAndNeverOverridesTheUsersOwn()
    {
        using var dir = new TempDirectory();
        string image = dir.File("app.img");
        File.WriteAllBytes(image, [0]);
        var (_, own, _) = Uk("run", image, "--dry-run", "--accel", "tcg", "--icount", "-k", "uk.tsc.khz=123456");
        Assert.Contains("-append uk.tsc.khz=123456", own);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(own, "uk.tsc.khz"));
        var (_, kvm, _) = Uk("run", image, "--dry-run", "--accel", "kvm");
        Assert.DoesNotContain("uk.tsc.khz", kvm);   // KVM: kvmclock and the CPUID leaves are the guest's sources
        var (_, tcg, _) = Uk("run", image, "--dry-run", "--accel", "tcg");
        if (Unikernel.Tools.Qemu.HostTsc.HostKilohertz(Unikernel.Tools.Qemu.KvmHost.DefaultCacheDirectory()) is { } khz)
            Assert.Contains($"-append uk.tsc.khz={khz}", tcg);
        else
            Assert.DoesNotContain("uk.tsc.khz", tcg);
    }

    [Fact]
    public void InspectOfAMissingFileFails()
    {
        var (status, output, error) = Uk("inspect", "/nonexistent/app.img");
        Assert.Equal(1, status);
        Assert.Contains("image not found", error);
        Assert.Equal("", output);
    }

    [Fact]
    public void InspectOfAFileThatIsNotElfFails()
    {
        using var dir = new TempDirectory();
        string text = dir.File("notes.txt");
        File.WriteAllText(text, "hello, not an ELF file");
        var (status, _, error) = Uk("inspect", text);
        Assert.Equal(1, status);
        Assert.Contains("not an ELF file", error);
    }

    [Fact]
    public void InspectWithoutAMapShowsTheElfBreakdownAndSaysWhy()
    {
        using var dir = new TempDirectory();
        string image = InspectTests.SyntheticImage(dir, withApp: true);
        var (status, output, error) = Uk("inspect", image);
        Assert.Equal(0, status);
        Assert.Equal("", error);
        Assert.Contains("kernel", output);
        Assert.Contains("boot stub code (.text.boot)", output);
        Assert.Contains("app (static executable, not broken down)", output);
        Assert.Contains("no link map next to the image", output);
        Assert.Contains("image info not present", output);
        Assert.Contains("total", output);
    }

    [Fact]
    public void InspectWithAMissingExplicitMapFails()
    {
        using var dir = new TempDirectory();
        string image = InspectTests.SyntheticImage(dir, withApp: false);
        var (status, _, error) = Uk("inspect", image, "--map", dir.File("nope.map"));
        Assert.Equal(1, status);
        Assert.Contains("link map not found", error);
    }

    [Fact]
    public void InspectJsonIsOneJsonDocument()
    {
        using var dir = new TempDirectory();
        string image = InspectTests.SyntheticImage(dir, withApp: true);
        var (status, output, _) = Uk("inspect", image, "--json");
        Assert.Equal(0, status);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("uk-inspect/1", json.RootElement.GetProperty("format").GetString());
    }

    [Fact]
    public void InspectHtmlWritesASelfContainedFile()
    {
        using var dir = new TempDirectory();
        string image = InspectTests.SyntheticImage(dir, withApp: true);
        string html = dir.File("report.html");
        var (status, output, _) = Uk("inspect", image, "--html", html);
        Assert.Equal(0, status);
        Assert.Contains("HTML report: ", output);
        string text = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", text);
        Assert.Contains("<svg", text);
        Assert.DoesNotContain("<script", text);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", text);
    }

    [Theory]
    [InlineData(true, null, null, true)]
    [InlineData(false, null, null, false)]
    [InlineData(true, "1", null, false)]
    [InlineData(true, "", null, true)]      // NO_COLOR set but empty: no effect (no-color.org)
    [InlineData(true, null, "dumb", false)]
    public void ColourOnlyOnATerminalWithoutNoColor(bool terminal, string? noColor, string? term, bool expected)
    {
        var env = new Dictionary<string, string?> { ["NO_COLOR"] = noColor, ["TERM"] = term };
        Assert.Equal(expected, TerminalStyle.ShouldColor(terminal, name => env.GetValueOrDefault(name)));
    }

    [Fact]
    public void StylesAddEscapesOnlyWhenEnabled()
    {
        Assert.Equal("x", TerminalStyle.Plain.Bold("x"));
        Assert.Equal("\u001b[1mx\u001b[0m", new TerminalStyle(true).Bold("x"));
    }
}
