using System.Buffers.Binary;
using System.Diagnostics;
using Unikernel.Disk;
using Unikernel.Disk.Formats;
using Unikernel.Loaders;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// What `uk run` does with a disk image: recognise its format by content, read its boot configuration, and for each
/// boot put the configuration it should boot with (this boot's console tag, and -e/-k/args when given) into a temporary
/// qcow2 overlay whose backing file is the disk, so QEMU reads the user's file in its own format and never writes it.
/// The configuration is read with our format readers (DiskFormat.ReadRawDisk); QEMU's tools make the overlay
/// (`qemu-img create -b`) and write the configuration into it (`qemu-io write`).
/// </summary>
public static class DiskBoot
{
    /// <summary>The disk format of <paramref name="path"/> (DiskFormat's names), or null for anything else (an ELF image).</summary>
    public static string? Detect(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        if (stream.Read(magic) == 4 && BinaryPrimitives.ReadUInt32LittleEndian(magic) == 0x464C457F) return null;
        stream.Position = 0;
        return DiskFormat.Detect(stream);
    }

    /// <summary>QEMU's block driver for one of our formats.</summary>
    public static string Driver(string format) => format switch
    {
        "vhd" or "vhd-dynamic" => "vpc",   // QEMU does not probe a fixed VHD (its footer is at the end): name it
        _ => format,
    };

    /// <summary>The boot map (LBA 2048) and the configuration it points at.</summary>
    /// <exception cref="DiskFormatException">Not a disk in our layout.</exception>
    public static (BiosBootMap Map, string CommandLine) ReadConfiguration(string path, string format)
    {
        var map = ReadSectors(path, format, DiskBootContract.BiosBootPartitionLba, 1);
        if (BinaryPrimitives.ReadUInt64LittleEndian(map) != BiosBootMap.Magic)
            throw new DiskFormatException($"not a Unikernel disk: no boot map (UKBOOTMP) at LBA {DiskBootContract.BiosBootPartitionLba}");
        var bootMap = new BiosBootMap(BinaryPrimitives.ReadUInt64LittleEndian(map.AsSpan(8)), BinaryPrimitives.ReadUInt64LittleEndian(map.AsSpan(16)),
                                      BinaryPrimitives.ReadUInt64LittleEndian(map.AsSpan(24)), BinaryPrimitives.ReadUInt32LittleEndian(map.AsSpan(36)));
        var config = ReadSectors(path, format, (long)bootMap.ConfigLba, DiskBootContract.ConfigCapacityBytes / DiskBootContract.SectorBytes);
        return (bootMap, CommandLineFile.Decode(config));
    }

    /// <summary>A temporary overlay of <paramref name="path"/> whose configuration is <paramref name="commandLine"/>;
    /// disposing it deletes it.</summary>
    public static PreparedDisk Prepare(string path, string format, long configLba, string commandLine)
    {
        var config = CommandLineFile.Encode(commandLine);
        var directory = Directory.CreateTempSubdirectory("uk-disk-");
        var prepared = new PreparedDisk(directory.FullName, Path.Combine(directory.FullName, "overlay.qcow2"));
        try
        {
            string configFile = Path.Combine(directory.FullName, "cmdline.bin");
            File.WriteAllBytes(configFile, config);
            Tool("qemu-img", "create", "-q", "-f", "qcow2", "-F", Driver(format), "-b", Path.GetFullPath(path), prepared.OverlayPath);
            Tool("qemu-io", "-f", "qcow2", "-c", $"write -q -s {configFile} {configLba * DiskBootContract.SectorBytes} {config.Length}", prepared.OverlayPath);
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary>Sectors of the disk inside <paramref name="path"/>, read through our own format readers.</summary>
    private static byte[] ReadSectors(string path, string format, long lba, int count)
    {
        using var file = File.OpenRead(path);
        long end = (lba + count) * DiskBootContract.SectorBytes;
        var disk = DiskFormat.ReadRawDisk(file, format, end);
        if (disk.Length < end) throw new DiskFormatException($"the disk ends before LBA {lba + count}");
        return disk.AsSpan((int)(lba * DiskBootContract.SectorBytes), count * DiskBootContract.SectorBytes).ToArray();
    }

    private static void Tool(string name, params string[] arguments)
    {
        var start = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {name}: {e.Message} (install qemu-utils, or run 'make setup')", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{name} failed ({process.ExitCode}): {(error + output.Result).Trim().ReplaceLineEndings(" ")}");
        }
    }
}

/// <summary>A disk made for one boot; disposing it deletes it.</summary>
public sealed class PreparedDisk(string directory, string overlayPath) : IDisposable
{
    public string OverlayPath { get; } = overlayPath;

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
