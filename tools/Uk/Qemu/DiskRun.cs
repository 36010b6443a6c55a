using Unikernel.Disk.Formats;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// How `uk run` boots a disk image: the firmware (asked for, or BIOS when the disk has our BIOS boot partition), the
/// machine that goes with it (SeaBIOS on pc, OVMF on q35, unless --machine says pc or q35), and the command line: the
/// one -e/-k/args make, else the disk's own configuration.
/// </summary>
public sealed record DiskRun(QemuDisk? QemuDisk, MachineKind Machine, string CommandLine, long ConfigLba, string? Problem = null, bool UsageError = false)
{
    public static DiskRun Plan(string path, string format, Firmware firmware, MachineKind? machine, string? commandLine)
    {
        static DiskRun Fail(string why, bool usage = false) => new(null, MachineKind.Pc, "", 0, why, usage);
        if (format == "gce")
            return Fail("a GCE upload (disk.raw in a tar.gz): unpack it (tar -xzf) and run disk.raw");
        if (machine == MachineKind.Microvm)
            return Fail("--machine microvm has no firmware to boot a disk: use pc or q35 (or leave --machine out)", usage: true);
        Unikernel.Loaders.BiosBootMap map;
        string ownCommandLine;
        try { (map, ownCommandLine) = DiskBoot.ReadConfiguration(path, format); }
        catch (DiskFormatException e) { return Fail(e.Message); }
        catch (Exception e) when (e is InvalidOperationException or IOException) { return Fail(e.Message); }
        if (firmware == Firmware.Auto) firmware = map.Stage2Sectors > 0 ? Firmware.Bios : Firmware.Uefi;
        if (firmware == Firmware.Uefi && !File.Exists(QemuDisk.OvmfCode))
            return Fail($"--firmware uefi needs OVMF ({QemuDisk.OvmfCode}): install Debian's ovmf, or run 'make setup'");
        var chosen = machine ?? (firmware == Firmware.Uefi ? MachineKind.Q35 : MachineKind.Pc);
        return new DiskRun(new QemuDisk(path, DiskBoot.Driver(format), firmware), chosen, commandLine ?? ownCommandLine, (long)map.ConfigLba);
    }
}
