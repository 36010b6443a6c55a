using System.Globalization;
using System.Text;

namespace Unikernel.Disk.Formats;

/// <summary>
/// The text descriptor embedded in a stream-optimized VMDK (VMware Virtual Disk Format 1.1, "The Descriptor File"):
/// one sparse extent in the file itself, no parent, an LSI Logic SCSI geometry as VMware's own tools write.
/// </summary>
internal static class VmdkDescriptor
{
    private const int Heads = 255;
    private const int SectorsPerTrack = 63;

    public static string Text(long capacitySectors, uint contentId)
    {
        long cylinders = Math.Clamp(capacitySectors / (Heads * SectorsPerTrack), 1, 65535);
        var text = new StringBuilder();
        text.Append("# Disk DescriptorFile\n");
        text.Append("version=1\n");
        text.Append(CultureInfo.InvariantCulture, $"CID={contentId:x8}\n");
        text.Append("parentCID=ffffffff\n");
        text.Append("createType=\"streamOptimized\"\n\n");
        text.Append("# Extent description\n");
        text.Append(CultureInfo.InvariantCulture, $"RW {capacitySectors} SPARSE \"disk.vmdk\"\n\n");
        text.Append("# The Disk Data Base\n#DDB\n\n");
        text.Append("ddb.virtualHWVersion = \"4\"\n");
        text.Append(CultureInfo.InvariantCulture, $"ddb.geometry.cylinders = \"{cylinders}\"\n");
        text.Append(CultureInfo.InvariantCulture, $"ddb.geometry.heads = \"{Heads}\"\n");
        text.Append(CultureInfo.InvariantCulture, $"ddb.geometry.sectors = \"{SectorsPerTrack}\"\n");
        text.Append("ddb.adapterType = \"lsilogic\"\n");
        // 2^31-1: "no VMware Tools to manage" (the guest is not one VMware Tools knows).
        text.Append("ddb.toolsVersion = \"2147483647\"\n");
        return text.ToString();
    }
}
