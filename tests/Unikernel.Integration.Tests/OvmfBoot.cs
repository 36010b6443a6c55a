using System.Diagnostics;
using System.Text;
using Unikernel.Loaders;
using Unikernel.Loaders.Uefi;
using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// Boots our UEFI loader under OVMF (Debian's ovmf package) on q35 from an EFI system partition that QEMU's vvfat
/// driver makes out of a host directory: \EFI\BOOT\BOOTX64.EFI (UefiLoader.Build()), \UK\IMAGE.ELF and
/// \UK\CMDLINE.TXT as DiskBootContract names them. No disk image is written, so the loader is tested on its own; the
/// console goes through the same ConsoleRouter as `uk run`, with the boot's console tag in the command-line file.
/// </summary>
public sealed class OvmfBoot : IDisposable
{
    public const string FirmwareCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    public const string FirmwareVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly string _root = Directory.CreateTempSubdirectory("uk-ovmf-").FullName;

    public OvmfBoot()
    {
        Directory.CreateDirectory(EspPath("EFI/BOOT"));
        Directory.CreateDirectory(EspPath("UK"));
        File.WriteAllBytes(EspPath(DiskBootContract.UefiLoaderPath), UefiLoader.Build());
        File.Copy(FirmwareVariables, Path.Combine(_root, "vars.fd"));
    }

    public static string? MissingFirmware =>
        File.Exists(FirmwareCode) && File.Exists(FirmwareVariables) ? null : $"{FirmwareCode} is missing: install Debian's ovmf package (make setup)";

    /// <summary>Path of a file on the ESP, from its UEFI path (\UK\IMAGE.ELF).</summary>
    public string EspPath(string uefiPath) => Path.Combine(_root, "esp", uefiPath.TrimStart('\\').Replace('\\', '/'));

    public void WriteImage(byte[] elf) => File.WriteAllBytes(EspPath(DiskBootContract.ImagePath), elf);

    /// <summary>Boots with this kernel command line (in \UK\CMDLINE.TXT, after the console tag); null: no such file.</summary>
    /// <param name="suspendToRam">Leave S3 on (QEMU's default for q35): OVMF then keeps its S3 resume memory at 8-9 MiB
    /// as ACPI NVS, inside the load range of any image whose app reaches past 8 MiB. Off, that memory is RAM.</param>
    /// <param name="stopAt">Stop QEMU once the console has shown this text and the end of its line (a boot that fails in
    /// the loader goes on to the firmware's other boot options and never exits).</param>
    public async Task<BootResult> BootAsync(string? commandLine, string? stopAt = null, bool suspendToRam = false)
    {
        string tag = ConsoleTag.New();
        if (commandLine != null)
            File.WriteAllText(EspPath(DiskBootContract.ConfigPath), commandLine.Length > 0 ? ConsoleTag.Option(tag) + " " + commandLine : ConsoleTag.Option(tag));

        var start = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (string arg in (string[])[
                     "-M", "q35", "-accel", "tcg", "-cpu", "max", "-m", "256M",
                     "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
                     "-drive", $"if=pflash,format=raw,readonly=on,file={FirmwareCode}",
                     "-drive", $"if=pflash,format=raw,file={Path.Combine(_root, "vars.fd")}",
                     "-drive", $"file=fat:rw:{Path.Combine(_root, "esp")},format=raw,if=virtio",
                     "-device", $"isa-debug-exit,iobase=0x{QemuCommand.DebugExitPort:x},iosize=0x04"])
            start.ArgumentList.Add(arg);
        if (!suspendToRam) { start.ArgumentList.Add("-global"); start.ArgumentList.Add("ICH9-LPC.disable_s3=1"); }

        var transcript = new List<ConsoleText>();
        var arrivals = new List<(TimeSpan, int)>();
        var console = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(Timeout);
        bool stoppedOnText = false;
        void Arrived(ConsoleText text)
        {
            lock (console)
            {
                transcript.Add(text);
                console.Append(text.Text).Append(text.FromKernel ? "\r\n" : "");
                arrivals.Add((stopwatch.Elapsed, console.Length));
                if (stopAt != null && console.ToString() is var all && all.IndexOf(stopAt, StringComparison.Ordinal) is >= 0 and var at
                    && all.IndexOf('\n', at) >= 0)
                {
                    stoppedOnText = true;
                    stop.Cancel();
                }
            }
        }
        var router = new ConsoleRouter(tag, app => Arrived(new ConsoleText(false, app)), line => Arrived(new ConsoleText(true, line)));

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var pump = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0) router.Write(new string(buffer, 0, n));
        });
        try { await process.WaitForExitAsync(stop.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        await pump;
        router.Complete();
        string error = await stderr;
        bool timedOut = stop.IsCancellationRequested && !stoppedOnText;
        var exit = timedOut ? new GuestExit(GuestExit.TimedOut, "timed out")
                            : GuestExit.Decode(process.ExitCode, transcript.Where(t => t.FromKernel).Select(t => t.Text).ToList(), error);
        return new BootResult(console + error, exit.Status, process.ExitCode, timedOut, stopwatch.Elapsed)
        {
            Arrivals = arrivals, Transcript = transcript, QemuError = error, Problem = exit.Problem, ConsoleTag = tag,
        };
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
