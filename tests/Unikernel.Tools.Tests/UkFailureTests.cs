using System.Buffers.Binary;
using Unikernel.Tools.Cli;
using Unikernel.Tools.Qemu;
using static Unikernel.Tools.Tests.UkInvocation;

namespace Unikernel.Tools.Tests;

/// <summary>
/// Every way `uk` fails ends with the status the README promises and one line on stderr that names the problem:
/// 2 a usage error, 125 uk's or QEMU's own failure, 126 a guest that stopped without a status, 1 an image inspect cannot read.
/// </summary>
public class UkFailureTests
{

    /// <summary>The one "uk: error:" line of stderr (there must be exactly one).</summary>
    private static string ErrorLine(string error)
        => Assert.Single(error.Split('\n'), l => l.StartsWith("uk: error: ", StringComparison.Ordinal));

    private static string Image(TempDirectory dir, byte[] bytes, string name = "guest.img")
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("empty", "empty (0 bytes), or not a regular file")]
    [InlineData("truncated", "truncated: segment 0 needs the file's bytes up to 249, the file has 200")]
    [InlineData("cut-headers", "truncated or corrupt: program header 1 lies past the end of the file (150 bytes)")]
    [InlineData("text", "not an ELF file (no \\x7fELF magic)")]
    [InlineData("no-pvh", "not a bootable image: no PVH entry note")]
    [InlineData("corrupt", "corrupt: program header 0 has more file bytes")]
    public void RunRefusesAnImageThatCannotBootBeforeStartingQemu(string kind, string reason)
    {
        using var dir = new TempDirectory();
        byte[] probe = TestGuests.ReportsAStatus();
        byte[] bytes = kind switch
        {
            "empty" => [],
            "truncated" => probe[..200],
            "cut-headers" => probe[..150],
            "text" => "#!/bin/sh\necho not an image\n"u8.ToArray(),
            "no-pvh" => WithNoteType(probe, 17),
            _ => WithLoadMemorySize(probe, 16),
        };
        var (status, output, error) = Uk("run", Image(dir, bytes), "--accel", "tcg");
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains(reason, ErrorLine(error));
        Assert.Equal("", output);
    }

    [SkippableTheory]
    [InlineData("/bin/ls", "not a bootable image: an ELF file, but not an executable")]
    [InlineData("/dev/null", "empty (0 bytes), or not a regular file")]
    public void RunRefusesFilesThatAreNoImage(string path, string reason)
    {
        Skip.IfNot(File.Exists(path), $"{path} does not exist here");
        var (status, _, error) = Uk("run", path, "--accel", "tcg");
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains(reason, ErrorLine(error));
    }

    [Theory]
    [InlineData("2M")]
    [InlineData("4M")]
    public void RunRefusesAMemorySizeTheImageDoesNotFit(string memory)
    {
        using var dir = new TempDirectory();
        var (status, _, error) = Uk("run", Image(dir, TestGuests.LoadedAt(0x400000)), "--accel", "tcg", "-m", memory);
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.Contains($"-m {memory} is too small for this image: its segment 0 ends at 4", ErrorLine(error));
    }

    [Theory]
    [InlineData(new[] { "-m", "abc" }, "-m abc: expected a size such as 128M, 1G or 512 (MiB)")]
    [InlineData(new[] { "-m=-5M" }, "-m -5M: expected a size such as 128M, 1G or 512 (MiB)")]
    [InlineData(new[] { "-m", "0" }, "-m 0: less than 1 MiB of guest RAM")]
    [InlineData(new[] { "-m", "2T" }, "-m 2T: more than 1 TiB of guest RAM")]
    [InlineData(new[] { "-p", "1.2.3:8080:80" }, "-p 1.2.3:8080:80: '1.2.3' is not an IPv4 address (A.B.C.D)")]
    [InlineData(new[] { "-p", "300.1.1.1:8080:80" }, "'300.1.1.1' is not an IPv4 address")]
    [InlineData(new[] { "--timeout", "abc" }, "--timeout must be a whole number of seconds from 0 to 2147483 (not 'abc')")]
    [InlineData(new[] { "--timeout", "-1" }, "--timeout must be a whole number of seconds")]
    [InlineData(new[] { "--timeout", "99999999999" }, "--timeout must be a whole number of seconds")]
    [InlineData(new[] { "-k", "uk.console.tag=00" }, "-k uk.console.tag: uk run sets it itself")]
    [InlineData(new[] { "-k", "strace" }, "-k strace: kernel options are uk.NAME[=VALUE]")]
    [InlineData(new[] { "-e", "=x" }, "environment entry '=x' is not KEY=VALUE")]
    public void RunOptionValuesThatCannotBeAreUsageErrors(string[] options, string message)
    {
        using var dir = new TempDirectory();
        var (status, output, error) = Uk(["run", Image(dir, TestGuests.ReportsAStatus()), "--accel", "tcg", .. options]);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains(message, ErrorLine(error));
        Assert.Equal("", output);
    }

    [Fact]
    public void RunRefusesACommandLineTheKernelCannotTake()
    {
        using var dir = new TempDirectory();
        string image = Image(dir, TestGuests.ReportsAStatus());
        // uk.tsc.khz given, so that uk adds no word of its own (under TCG it passes the host's TSC rate).
        var (status, _, error) = Uk(["run", image, "--accel", "tcg", "-k", "uk.tsc.khz=1000000", "--", .. Enumerable.Repeat("x", KernelCommandLine.MaxWords)]);
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains($"{KernelCommandLine.MaxWords + 1} words (kernel options, environment entries and arguments): the kernel takes at most {KernelCommandLine.MaxWords}", ErrorLine(error));

        // Environment entries too long for the command line go through fw_cfg instead (BootConfigurationTests); kernel
        // options cannot.
        (status, _, error) = Uk("run", image, "--accel", "tcg", "-k", "uk.tsc.khz=1000000", "-k", "uk.big=" + new string('\n', 1000));
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("the kernel command line would be 4,026 bytes: the kernel takes at most 3,983 from uk run", ErrorLine(error));
    }

    [Fact]
    public void InspectTopThatIsNoNumberIsAUsageError()
    {
        var (status, _, error) = Uk("inspect", "x.img", "--top", "abc");
        Assert.Equal(UkCommandLine.UsageError, status);
        Assert.Contains("--top must be a whole number, 1 or more (not 'abc')", ErrorLine(error));
    }

    [SkippableFact]
    public void InspectRefusesADeviceInsteadOfReadingItForever()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero here");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (status, output, error) = Uk("inspect", "/dev/zero");
        Assert.Equal(InspectCommand.CannotRead, status);
        Assert.Contains("/dev/zero: empty (0 bytes), or not a regular file", ErrorLine(error));
        Assert.Equal("", output);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData("truncated", "truncated: segment 0 needs the file's bytes up to 249, the file has 200")]
    [InlineData("corrupt", "corrupt: program header 0 has more file bytes (249) than memory bytes (16)")]
    [InlineData("section-table", "truncated: the section table at offset ")]
    [InlineData("overlap", "corrupt: its sections and link map account for 2,716 bytes, more than the file's 2,656")]
    public void InspectSaysTruncatedOrCorruptInsteadOfFigures(string kind, string reason)
    {
        using var dir = new TempDirectory();
        byte[] bytes = kind switch
        {
            "truncated" => TestGuests.ReportsAStatus()[..200],
            "corrupt" => WithLoadMemorySize(TestGuests.ReportsAStatus(), 16),
            "section-table" => WithoutSectionTable(InspectTests.SyntheticElf(withApp: false).Build()),
            _ => SectionTableOverLastSection(InspectTests.SyntheticElf(withApp: false).Build()),
        };
        var (status, output, error) = Uk("inspect", Image(dir, bytes));
        Assert.Equal(InspectCommand.CannotRead, status);
        string line = ErrorLine(error);
        Assert.True(line.Contains(reason, StringComparison.Ordinal), line);
        Assert.DoesNotContain("bootable", output);
    }

    [SkippableFact]
    public void RunPassesOnTheGuestsStatus()
    {
        Skip.IfNot(TestGuests.QemuInstalled, "qemu-system-x86_64 is not installed (make setup installs it)");
        using var dir = new TempDirectory();
        var (status, _, error) = Uk("run", Image(dir, TestGuests.ReportsAStatus()), "--accel", "tcg", "-m", "16M", "--timeout", "30");
        Assert.Equal(ProbeGuest.ExpectedStatus, status);
        Assert.DoesNotContain("uk: error:", error);
    }

    [SkippableFact]
    public void AGuestThatStopsWithoutAStatusIs126WithTheReason()
    {
        Skip.IfNot(TestGuests.QemuInstalled, "qemu-system-x86_64 is not installed (make setup installs it)");
        using var dir = new TempDirectory();
        var (status, _, error) = Uk("run", Image(dir, TestGuests.TripleFaults()), "--accel", "tcg", "-m", "16M", "--timeout", "30");
        Assert.Equal(GuestExit.NoStatus, status);
        Assert.Equal("uk: error: the guest stopped without an exit status (QEMU exited with 0: a reset or a triple fault)", ErrorLine(error));
    }

    [SkippableFact]
    public void QemusOwnFailureIs125WithQemusMessage()
    {
        Skip.IfNot(TestGuests.QemuInstalled, "qemu-system-x86_64 is not installed (make setup installs it)");
        using var dir = new TempDirectory();
        var (status, _, error) = Uk("run", Image(dir, TestGuests.ReportsAStatus()), "--accel", "tcg", "-m", "1T", "--timeout", "30");
        Assert.Equal(RunCommand.OwnFailure, status);
        Assert.StartsWith("uk: error: QEMU failed: qemu-system-x86_64: ", ErrorLine(error));
    }

    // The probe guest's PT_NOTE holds one note; another type than 18 is no PVH entry.
    private static byte[] WithNoteType(byte[] file, uint type)
    {
        var copy = (byte[])file.Clone();
        ulong noteOffset = BinaryPrimitives.ReadUInt64LittleEndian(copy.AsSpan(64 + 56 + 8));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan((int)noteOffset + 8), type);
        return copy;
    }

    private static byte[] WithLoadMemorySize(byte[] file, ulong size)
    {
        var copy = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(64 + 40), size);
        return copy;
    }

    private static byte[] WithoutSectionTable(byte[] file)
        => file[..(int)Unikernel.Tools.Inspect.ElfFile.Parse(file).SectionHeaderOffset];

    // Moves the section table over the bytes of the section that lies last in the file: both claim the same bytes.
    private static byte[] SectionTableOverLastSection(byte[] file)
    {
        var elf = Unikernel.Tools.Inspect.ElfFile.Parse(file);
        var last = elf.Sections.Where(s => s.FileSize > 0).MaxBy(s => s.Offset)!;
        ulong tableSize = (ulong)(elf.Sections.Count * 64);
        var result = new byte[(int)last.Offset + (int)tableSize];
        Array.Copy(file, result, (int)last.Offset);
        Array.Copy(file, (int)elf.SectionHeaderOffset, result, (int)last.Offset, (int)tableSize);
        BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(40), last.Offset);   // e_shoff
        return result;
    }
}
