using System.Buffers.Binary;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Our UEFI loader (BOOTX64.EFI) boots the same image under OVMF as `uk run --machine q35` boots through -kernel, with
/// the same app output and exit status; a broken boot volume gets one line naming the problem.
/// </summary>
public partial class UefiBootTests
{
    private const string LoaderPrefix = "UK UEFI loader: ";

    [SkippableFact]
    public async Task HelloPrintsWhatTheKernelBootPrints()
    {
        SkipUnlessReady("hello");
        string[] args = ["first", "second arg", "x=y"];
        string[] environment = ["GREETING=hello from the disk"];
        string commandLine = KernelCommandLine.Build([], environment, args);
        using var ovmf = new OvmfBoot();
        ovmf.WriteImage(File.ReadAllBytes(AppImages.Image("hello")));

        var uefi = await ovmf.BootAsync(commandLine);
        var direct = await KernelImages.BootAsync(AppImages.Image("hello"), MachineKind.Q35, commandLine, memory: "256M");

        Assert.False(uefi.TimedOut, uefi.Console);
        Assert.Equal(AppImages.AppLines(direct), AppImages.AppLines(uefi));
        Assert.Equal(args.Length, uefi.ExitStatus);
        Assert.Equal(direct.ExitStatus, uefi.ExitStatus);
        Assert.Equal(direct.KernelLines.Single(l => l.StartsWith("uk: command line: ")), uefi.KernelLines.Single(l => l.StartsWith("uk: command line: ")));
        Assert.DoesNotContain(LoaderPrefix, uefi.Console);
        // The start-info block (two pages: start info and memory map, command line) is reserved in the map it describes.
        Assert.Contains(uefi.KernelLines, l => ReservedRange().Match(l) is { Success: true } m
            && Convert.ToUInt64(m.Groups[2].Value, 16) - Convert.ToUInt64(m.Groups[1].Value, 16) == 0x2000);
    }

    [SkippableFact]
    public async Task ConformancePrintsWhatTheKernelBootPrints()
    {
        SkipUnlessReady("conformance");
        string commandLine = KernelCommandLine.Build([], ["CONFORMANCE_MODE=differential"], ["conformance", "an argument", "x=y"]);
        using var ovmf = new OvmfBoot();
        ovmf.WriteImage(File.ReadAllBytes(AppImages.Image("conformance")));

        var uefi = await ovmf.BootAsync(commandLine);
        var direct = await KernelImages.BootAsync(AppImages.Image("conformance"), MachineKind.Q35, commandLine, memory: "256M");

        Assert.False(uefi.TimedOut, uefi.Console);
        Assert.Equal(42, uefi.ExitStatus);
        Assert.Equal(direct.ExitStatus, uefi.ExitStatus);
        Assert.Equal(Comparable(AppImages.AppLines(direct)), Comparable(AppImages.AppLines(uefi)));
    }

    [SkippableFact]
    public async Task WithoutACommandLineFileTheCommandLineIsEmpty()
    {
        SkipUnlessReady("hello");
        using var ovmf = new OvmfBoot();
        ovmf.WriteImage(File.ReadAllBytes(AppImages.Image("hello")));

        var uefi = await ovmf.BootAsync(commandLine: null);

        Assert.False(uefi.TimedOut, uefi.Console);
        Assert.Equal(0, uefi.ExitStatus);
        Assert.Contains("uk: command line: 0 bytes, 0 words, app arguments: 0", uefi.Console);
        Assert.Contains("Hello from a bootable C# app!", uefi.Console);
    }

    [SkippableFact]
    public async Task AMissingImageIsNamedInOneLine()
    {
        Skip.If(OvmfBoot.MissingFirmware != null, OvmfBoot.MissingFirmware);
        using var ovmf = new OvmfBoot();

        var uefi = await ovmf.BootAsync("", stopAt: LoaderPrefix);

        Assert.Equal([@"UK UEFI loader: cannot open \UK\IMAGE.ELF (EFI status 0x800000000000000E)"], LoaderLines(uefi));
        Assert.Empty(uefi.KernelLines);
    }

    [SkippableTheory]
    [InlineData("machine", @"\UK\IMAGE.ELF is not an ELF64 x86-64 executable")]
    [InlineData("truncated", @"\UK\IMAGE.ELF has a PT_LOAD outside the file, beyond its memory size or outside [1 MiB, 4 GiB)")]
    [InlineData("no-entry", @"\UK\IMAGE.ELF has no PVH entry inside its PT_LOAD segments (ELF note ""Xen"", type 18)")]
    public async Task ACorruptImageIsNamedInOneLine(string damage, string message)
    {
        SkipUnlessReady("hello");
        byte[] elf = File.ReadAllBytes(AppImages.Image("hello"));
        elf = damage switch
        {
            "machine" => Patch(elf, 18, 3),                               // e_machine = EM_386
            "truncated" => elf[..(elf.Length / 2)],
            _ => BreakXenNote(elf),
        };
        using var ovmf = new OvmfBoot();
        ovmf.WriteImage(elf);

        var uefi = await ovmf.BootAsync("", stopAt: LoaderPrefix);

        Assert.Equal([$"{message} (EFI status 0x8000000000000001)"], LoaderLines(uefi).Select(l => l[LoaderPrefix.Length..]));
        Assert.Empty(uefi.KernelLines);
    }

    // OVMF with S3 on keeps ACPI NVS at 8-9 MiB for resuming; conformance's app reaches past it. The image is linked at
    // fixed addresses, so the loader can only refuse, naming the range, before it exits boot services.
    [SkippableFact]
    public async Task ALoadRangeTheFirmwareReservesIsNamedInOneLine()
    {
        SkipUnlessReady("conformance");
        byte[] elf = File.ReadAllBytes(AppImages.Image("conformance"));
        var (low, high) = LoadRange(elf);
        Assert.True(high > 0x900000, "conformance's image must reach past 9 MiB for this test");
        using var ovmf = new OvmfBoot();
        ovmf.WriteImage(elf);

        var uefi = await ovmf.BootAsync("", stopAt: LoaderPrefix, suspendToRam: true);

        Assert.Equal([$"{LoaderPrefix}the image's load range 0x{low:X16}-0x{high:X16} is not free RAM in the firmware's memory map (EFI status 0x8000000000000001)"],
            LoaderLines(uefi));
        Assert.Empty(uefi.KernelLines);
    }

    private static (ulong Low, ulong High) LoadRange(byte[] elf)
    {
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(56));
        ulong low = ulong.MaxValue, high = 0;
        for (int i = 0; i < phnum; i++)
        {
            var header = elf.AsSpan((int)phoff + 56 * i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != 1) continue;
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]), size = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
            low = Math.Min(low, address);
            high = Math.Max(high, address + size);
        }
        return (low, high);
    }

    private static byte[] Patch(byte[] elf, int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(offset), value);
        return elf;
    }

    // Changes the note's type (18, XEN_ELFNOTE_PHYS32_ENTRY) in every PT_NOTE, so no PVH entry remains.
    private static byte[] BreakXenNote(byte[] elf)
    {
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(56));
        for (int i = 0; i < phnum; i++)
        {
            var header = elf.AsSpan((int)phoff + 56 * i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != 4) continue;
            int note = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            Assert.Equal(18u, BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(note + 8)));
            BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(note + 8), 17);
        }
        return elf;
    }

    private static List<string> LoaderLines(BootResult boot) =>
        boot.Console.Replace("\r", "").Split('\n').Select(l => l[Math.Max(0, l.IndexOf(LoaderPrefix, StringComparison.Ordinal))..])
            .Where(l => l.StartsWith(LoaderPrefix, StringComparison.Ordinal)).ToList();

    [System.Text.RegularExpressions.GeneratedRegex(@"^uk:   0x([0-9a-f]+)-0x([0-9a-f]+) reserved$")]
    private static partial System.Text.RegularExpressions.Regex ReservedRange();

    private static List<string> Comparable(List<string> lines) =>
        lines.Where(l => !l.StartsWith("env-specific: ", StringComparison.Ordinal)).ToList();

    private static void SkipUnlessReady(string app)
    {
        Skip.If(OvmfBoot.MissingFirmware != null, OvmfBoot.MissingFirmware);
        string image = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "images", app + ".img");
        Skip.IfNot(File.Exists(image), $"{image} is missing: run 'make build' first");
    }
}
