using System.Diagnostics;
using System.Text;
using Unikernel.Loaders;
using Unikernel.Loaders.Bios;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The BIOS loader (boot/Unikernel.Loaders/Bios) under SeaBIOS (-M pc), from a disk this test writes itself (the boot
/// code, the boot map, stage 2, the image and the configuration where the contract puts them; no GPT or FAT, which the
/// disk writer adds): the app prints what the -kernel boot of the same image prints, and a broken disk says why it
/// cannot boot.
/// </summary>
public class BiosBootTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SkippableTheory]
    [InlineData("virtio")]
    [InlineData("ide")]
    public async Task HelloFromADiskPrintsWhatTheKernelBootPrints(string drive)
    {
        string image = RequireImage("hello");
        string[] args = ["first", "second arg", "x=y"];
        string[] environment = ["GREETING=hello from the disk's configuration"];
        var direct = await AppImages.BootAsync("hello", MachineKind.Pc, args, environment);

        var disk = await BootFromDisk(image, KernelCommandLine.Build([], environment, args), drive, "256M");

        Assert.False(disk.TimedOut, disk.Console);
        Assert.False(direct.TimedOut, direct.Console);
        Assert.Equal(AppImages.AppLines(direct), AppImages.AppLines(disk));
        Assert.Equal(args.Length, disk.ExitStatus);
        Assert.Equal(direct.ExitStatus, disk.ExitStatus);
        // The same image (its hash), the same command line, word for word, as the kernel saw it.
        Assert.Equal(BootReport(direct), BootReport(disk));
        Assert.Contains(disk.KernelLines, l => l.StartsWith("uk: image hello ", StringComparison.Ordinal));
        Assert.DoesNotContain("ukboot:", disk.Console);
    }

    [SkippableFact]
    public async Task ConformanceFromADiskPrintsWhatTheKernelBootPrints()
    {
        string image = RequireImage("conformance");
        string[] args = ["conformance", "an argument", "x=y"];
        string[] environment = ["CONFORMANCE_MODE=differential"];
        var direct = await AppImages.BootAsync("conformance", MachineKind.Pc, args, environment, memory: "512M");

        var disk = await BootFromDisk(image, KernelCommandLine.Build([], environment, args), "virtio", "512M");

        Assert.False(disk.TimedOut, disk.Console);
        Assert.Equal(42, disk.ExitStatus);
        Assert.Equal(direct.ExitStatus, disk.ExitStatus);
        Assert.Equal(Comparable(AppImages.AppLines(direct)), Comparable(AppImages.AppLines(disk)));
        Assert.Equal(BootReport(direct), BootReport(disk));
        Assert.DoesNotContain("unimplemented system call", disk.Console);
    }

    /// <summary>Each way a disk can be broken, and the one line stage 1 or stage 2 prints for it before halting.</summary>
    [SkippableTheory]
    [InlineData(Damage.ElfMagic, "ukboot: IMAGE.ELF is not an ELF file (no ELF magic)")]
    [InlineData(Damage.Machine, "ukboot: IMAGE.ELF is not an x86-64 executable (e_machine)")]
    [InlineData(Damage.PvhNote, "ukboot: IMAGE.ELF has no PVH entry point (no \"Xen\" ELF note of type 18, XEN_ELFNOTE_PHYS32_ENTRY)")]
    [InlineData(Damage.Truncated, "ukboot: IMAGE.ELF has a segment whose file bytes lie beyond its end, p_offset 0x")]
    [InlineData(Damage.ImageBeyondDisk, "ukboot: disk read error at LBA 0x00100000 (INT 13h AH=42h status 0x")]
    [InlineData(Damage.BootMap, "ukboot: no boot map at LBA 2048")]
    public async Task ABrokenDiskSaysWhyItCannotBoot(Damage damage, string expected)
    {
        string image = RequireImage("hello");

        var boot = await BootFromDisk(image, "", "virtio", "256M", damage, stopAt: "ukboot:");

        string line = boot.AppOutput.Replace("\r", "").Split('\n').SingleOrDefault(l => l.StartsWith("ukboot:", StringComparison.Ordinal)) ?? "";
        Assert.True(line.StartsWith(expected, StringComparison.Ordinal), $"expected a line starting with '{expected}' in: {boot.Console}");
        Assert.Empty(boot.KernelLines);
    }

    public enum Damage { None, ElfMagic, Machine, PvhNote, Truncated, ImageBeyondDisk, BootMap }

    private static string RequireImage(string app)
    {
        string path = Path.Combine(KernelImages.RepositoryRoot, "artifacts", "images", app + ".img");
        Skip.IfNot(File.Exists(path), $"{path} is missing: run 'make build' first");
        Skip.If(FindOnPath("qemu-system-x86_64") is null, "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)");
        return path;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>The kernel's lines that say which image it runs and what it was told: equal for both boots.</summary>
    private static List<string> BootReport(BootResult boot) =>
        boot.KernelLines.Where(l => l.StartsWith("uk: image ", StringComparison.Ordinal)
                                    || l.StartsWith("uk: command line: ", StringComparison.Ordinal)
                                    || l.StartsWith("uk:   argument: ", StringComparison.Ordinal)
                                    || l.StartsWith("uk:   environment: ", StringComparison.Ordinal)
                                    || l.StartsWith("uk: exit status ", StringComparison.Ordinal)).ToList();

    private static List<string> Comparable(List<string> lines) =>
        lines.Where(l => !l.StartsWith("env-specific: ", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// Boots the image from a test disk in SeaBIOS, as `uk run` boots an image (a new console tag at the start of the
    /// command line, isa-debug-exit), and splits the console the same way. <paramref name="stopAt"/>: stop QEMU once a whole
    /// line starting with it has appeared (the loader halts after its message).
    /// </summary>
    private static async Task<BootResult> BootFromDisk(string image, string commandLine, string drive, string memory,
                                                       Damage damage = Damage.None, string? stopAt = null)
    {
        string tag = ConsoleTag.New();
        string disk = TestDisk.Build(image, commandLine.Length > 0 ? ConsoleTag.Option(tag) + " " + commandLine : ConsoleTag.Option(tag), damage);
        try
        {
            var start = new ProcessStartInfo("qemu-system-x86_64")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            };
            foreach (string a in new[] { "-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", memory, "-nodefaults", "-no-user-config",
                                         "-nographic", "-serial", "stdio", "-no-reboot", "-drive", $"file={disk},format=raw,if={drive}",
                                         "-device", $"isa-debug-exit,iobase=0x{QemuCommand.DebugExitPort:x},iosize=0x04" })
                start.ArgumentList.Add(a);

            var transcript = new List<ConsoleText>();
            var console = new StringBuilder();
            using var stop = new CancellationTokenSource(Timeout);
            var router = new ConsoleRouter(tag,
                app =>
                {
                    lock (console)
                    {
                        transcript.Add(new ConsoleText(false, app));
                        console.Append(app);
                        if (stopAt is not null && console.ToString().Replace("\r", "").Split('\n').SkipLast(1).Any(l => l.StartsWith(stopAt, StringComparison.Ordinal)))
                            stop.Cancel();
                    }
                },
                line => { lock (console) { transcript.Add(new ConsoleText(true, line)); console.Append(line).Append("\r\n"); } });

            var stopwatch = Stopwatch.StartNew();
            using var qemu = Process.Start(start)!;
            qemu.StandardInput.Close();
            var stderr = qemu.StandardError.ReadToEndAsync();
            var pump = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await qemu.StandardOutput.ReadAsync(buffer)) > 0) router.Write(new string(buffer, 0, n));
            });
            bool stopped = false;
            try { await qemu.WaitForExitAsync(stop.Token); }
            catch (OperationCanceledException)
            {
                stopped = true;
                qemu.Kill(entireProcessTree: true);
                await qemu.WaitForExitAsync();
            }
            await pump;
            router.Complete();
            string error = await stderr;
            var kernelLines = transcript.Where(t => t.FromKernel).Select(t => t.Text).ToList();
            bool timedOut = stopped && stopwatch.Elapsed >= Timeout;
            var exit = stopped ? new GuestExit(GuestExit.TimedOut, "stopped") : GuestExit.Decode(qemu.ExitCode, kernelLines, error);
            return new BootResult(console + error, exit.Status, stopped ? -1 : qemu.ExitCode, timedOut, stopwatch.Elapsed)
            {
                Transcript = transcript, QemuError = error, Problem = exit.Problem, ConsoleTag = tag,
            };
        }
        finally
        {
            File.Delete(disk);
        }
    }

    /// <summary>
    /// A raw disk as the disk writer lays out its BIOS side: the boot code and 0x55AA at LBA 0, the boot map at 2048,
    /// stage 2 from 2049, then the image and the configuration at sector-aligned LBAs after the BIOS boot partition.
    /// </summary>
    private static class TestDisk
    {
        private const int Sector = DiskBootContract.SectorBytes;
        private const long ImageLba = DiskBootContract.BiosBootPartitionLba + DiskBootContract.BiosBootPartitionSectors;

        public static string Build(string imagePath, string commandLine, Damage damage = Damage.None)
        {
            byte[] image = File.ReadAllBytes(imagePath);
            long imageSectors = (image.Length + Sector - 1) / Sector;
            long configLba = ImageLba + imageSectors;
            long sectors = (configLba + DiskBootContract.ConfigCapacityBytes / Sector + 2047) / 2048 * 2048;
            byte[] disk = new byte[sectors * Sector];

            BiosLoader.BootCode().CopyTo(disk, 0);
            disk[510] = 0x55;
            disk[511] = 0xAA;
            byte[] stage2 = BiosLoader.Stage2();
            ulong imageBytes = (ulong)image.Length;
            ulong imageLba = (ulong)ImageLba;
            switch (damage)
            {
                case Damage.ElfMagic: image[1] = (byte)'X'; break;
                case Damage.Machine: image[18] = 3; break;                   // EM_386
                case Damage.PvhNote: DamagePvhNote(image); break;
                case Damage.Truncated: imageBytes /= 2; break;
                case Damage.ImageBeyondDisk: imageLba = 0x100000; break;      // 512 MiB: beyond this small disk
            }
            var map = new BiosBootMap(imageLba, imageBytes, (ulong)configLba, (uint)(stage2.Length / Sector)).ToSector();
            if (damage == Damage.BootMap) map[0] ^= 0xFF;
            map.CopyTo(disk, DiskBootContract.BiosBootPartitionLba * Sector);
            stage2.CopyTo(disk, (DiskBootContract.BiosBootPartitionLba + 1) * Sector);
            image.CopyTo(disk, ImageLba * Sector);
            Encoding.ASCII.GetBytes(commandLine).CopyTo(disk, configLba * Sector);

            string path = Path.Combine(Path.GetTempPath(), $"bios-{Guid.NewGuid():N}.raw");
            File.WriteAllBytes(path, disk);
            return path;
        }

        /// <summary>Turns the Xen note's type 18 (XEN_ELFNOTE_PHYS32_ENTRY) into 17, so the image has no PVH entry.</summary>
        private static void DamagePvhNote(byte[] image)
        {
            long phoff = BitConverter.ToInt64(image, 32);
            int phnum = BitConverter.ToUInt16(image, 56);
            for (int i = 0; i < phnum; i++)
            {
                int ph = (int)phoff + i * 56;
                if (BitConverter.ToUInt32(image, ph) != 4) continue;
                int note = (int)BitConverter.ToInt64(image, ph + 8), end = note + (int)BitConverter.ToInt64(image, ph + 32);
                while (note + 12 <= end)
                {
                    int nameBytes = BitConverter.ToInt32(image, note), descBytes = BitConverter.ToInt32(image, note + 4);
                    if (nameBytes == 4 && BitConverter.ToUInt32(image, note + 8) == 18 && Encoding.ASCII.GetString(image, note + 12, 3) == "Xen")
                        BitConverter.TryWriteBytes(image.AsSpan(note + 8), 17u);
                    note += 12 + ((nameBytes + 3) & ~3) + ((descBytes + 3) & ~3);
                }
            }
        }
    }
}
