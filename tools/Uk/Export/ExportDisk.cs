using Unikernel.Disk;
using Unikernel.Disk.Formats;

namespace Unikernel.Tools.Export;

/// <summary>The disk the disk-booting engines get: the image on our GPT/ESP layout with both loaders
/// (DiskImageBuilder), its command line in \UK\CMDLINE.TXT, as qcow2 (which libvirt and KubeVirt both take, sparse).</summary>
public static class ExportDisk
{
    public const string Format = "qcow2";

    /// <exception cref="DiskFormatException">The image or the command line cannot go on a disk.</exception>
    public static byte[] Qcow2(byte[] image, string commandLine)
    {
        byte[] raw = DiskImageBuilder.Build(image, commandLine);
        using var buffer = new MemoryStream();
        DiskFormat.Writer(Format).Write(raw, DiskIdentity.Of(image), buffer);
        return buffer.ToArray();
    }
}
