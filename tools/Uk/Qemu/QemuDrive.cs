namespace Unikernel.Tools.Qemu;

/// <summary>
/// A disk for the guest to read, not to boot from (`uk run --drive FILE`): a config drive (cloud-localds's seed, an
/// OpenStack config-2 ISO) on virtio-blk, read-only, so the guest never changes the file. On microvm the device sits on
/// virtio-mmio (virtio 1.x: force-legacy off, the kernel drives no legacy device), on pc and q35 on virtio-pci. The file
/// is raw (an ISO or a file system image) unless it starts with qcow2's magic.
/// </summary>
public sealed record QemuDrive(string Path)
{
    public IEnumerable<string> Arguments(MachineKind machine, int index)
    {
        string id = $"drive{index}";
        yield return "-drive";
        yield return $"if=none,id={id},format={Format()},readonly=on,file={QemuCommand.QemuOptionValue(Path)}";
        if (machine == MachineKind.Microvm)
        {
            yield return "-global"; yield return "virtio-mmio.force-legacy=false";
            yield return "-device"; yield return $"virtio-blk-device,drive={id}";
        }
        else
        {
            yield return "-device"; yield return $"virtio-blk-pci,drive={id}";
        }
    }

    private static ReadOnlySpan<byte> Qcow2Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xFB];

    /// <summary>"qcow2" when the file starts with qcow2's magic "QFI\xfb", else "raw".</summary>
    public string Format()
    {
        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(Path);
        return file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual(Qcow2Magic) ? "qcow2" : "raw";
    }

    /// <summary>Why <paramref name="path"/> cannot be attached, or null.</summary>
    public static string? Problem(string path)
    {
        if (Directory.Exists(path)) return $"--drive: {path} is a directory (make an image of it: cloud-localds, genisoimage)";
        if (!File.Exists(path)) return $"--drive: {path} not found";
        try { using var _ = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"--drive: {path}: {e.Message}"; }
        return null;
    }
}
