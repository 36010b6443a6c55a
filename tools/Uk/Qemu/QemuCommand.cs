namespace Unikernel.Tools.Qemu;

/// <summary>Builds the QEMU argument list for booting an image; one place, so `uk run --dry-run`, the
/// demo and the tests all boot images the same way.</summary>
public static class QemuCommand
{
    /// <summary>The I/O port of QEMU's isa-debug-exit device, which the kernel writes its exit status to.</summary>
    public const int DebugExitPort = 0xf4;

    public static IReadOnlyList<string> BuildArguments(QemuOptions options)
    {
        var args = new List<string>();
        switch (options.Machine)
        {
            case MachineKind.Microvm:
                // No option ROMs (nothing the kernel needs; each costs boot time). The CMOS RTC is on: it is the
                // kernel's wall clock at boot (runtime/Kernel/Time/CmosRtc.cs); without it realtime starts at 1970.
                args.AddRange(["-M", "microvm,x-option-roms=off,rtc=on"]);
                break;
            case MachineKind.Pc:
                args.AddRange(["-M", "pc"]);
                break;
            case MachineKind.Q35:
                args.AddRange(["-M", "q35"]);
                break;
        }
        bool kvm = ResolveAccelerator(options.Accelerator) == Accelerator.Kvm;
        args.AddRange(["-accel", kvm ? "kvm" : options.Cpus > 1 && !options.InstructionCounting ? "tcg,thread=multi" : "tcg"]);
        args.AddRange(["-cpu", options.CpuModel]);
        if (options.Cpus < 1) throw new ArgumentException($"a machine needs at least one CPU (not {options.Cpus})");
        if (options.Cpus > 1) args.AddRange(["-smp", options.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        args.AddRange(["-m", options.Memory]);
        if (options.DetachedPidFile is { } pidFile)
        {
            // -nographic takes stdio, which a daemon has not: no display, the console into a file.
            if (options.ConsoleFile is null) throw new ArgumentException("a detached QEMU needs a console file");
            args.AddRange(["-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"]);
            args.AddRange(["-serial", $"file:{options.ConsoleFile}", "-daemonize", "-pidfile", pidFile]);
        }
        else
        {
            args.AddRange(["-nodefaults", "-no-user-config", "-nographic", "-no-reboot"]);
            args.AddRange(["-serial", "stdio"]);
        }
        if (options.DebugExitDevice) args.AddRange(["-device", $"isa-debug-exit,iobase=0x{DebugExitPort:x},iosize=0x04"]);
        args.AddRange(options.ExtraArguments);   // first: the card may sit on a bus they define
        if (options.Network != null) args.AddRange(options.Network.Arguments(options.Machine));
        if (options.InstructionCounting) args.AddRange(["-icount", "shift=0"]);
        if (options.QmpSocketPath is { } qmp) args.AddRange(["-qmp", $"unix:{QemuOptionValue(qmp)},server=on,wait=off"]);
        foreach (var (name, hostPath) in options.FirmwareConfigFiles) args.AddRange(["-fw_cfg", $"name={QemuOptionValue(name)},file={QemuOptionValue(hostPath)}"]);
        for (int i = 0; i < options.Drives.Count; i++) args.AddRange(options.Drives[i].Arguments(options.Machine, i));
        if (options.Disk is { } disk)
        {
            args.AddRange(disk.Arguments());
            return args;
        }
        args.AddRange(["-kernel", options.ImagePath]);
        if (options.InitrdPath is { } initrd) args.AddRange(["-initrd", initrd]);
        string commandLine = options.InitrdPath is null ? WithTag(options.CommandLine, options.ConsoleTag) : options.CommandLine;
        if (commandLine.Length > 0) args.AddRange(["-append", commandLine]);
        return args;
    }

    /// <summary>A value inside a QEMU option list: a comma is written twice.</summary>
    internal static string QemuOptionValue(string value) => value.Replace(",", ",,");

    /// <summary>The command line with this boot's console tag in front (for -append, or a disk's configuration).</summary>
    public static string WithTag(string commandLine, string? tag)
        => tag is null ? commandLine : commandLine.Length > 0 ? ConsoleTag.Option(tag) + " " + commandLine : ConsoleTag.Option(tag);

    /// <summary>The command as one shell-pasteable line.</summary>
    public static string Format(QemuOptions options)
        => string.Join(' ', new[] { options.QemuExecutable }.Concat(BuildArguments(options)).Select(ShellQuote));

    private static string ShellQuote(string s)
        => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=,:+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>
    /// KVM is used only where it can run our guests (see <see cref="AcceleratorChooser"/>): `auto` probes once per host
    /// boot and caches the verdict; an explicit choice is kept.
    /// </summary>
    public static Accelerator ResolveAccelerator(Accelerator requested)
        => requested == Accelerator.Auto ? AcceleratorChooser.Choose(requested, KvmHost.Default).Accelerator : requested;
}
