namespace Unikernel.Disk.Formats;

/// <summary>
/// A fixed VHD, the form Azure takes: the raw disk followed by the 512-byte footer (disk type 2, no data offset). Not
/// sparse by nature; the data part is written sparse into a file as <see cref="RawWriter"/> does.
/// </summary>
public sealed class VhdFixedWriter : IDiskFormatWriter
{
    public string Name => "vhd";

    public string Extension => ".vhd";

    public void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output)
    {
        RawDisk.Validate(rawDisk, Name);
        new RawWriter().Write(rawDisk, identity, output);
        output.Write(VhdFooter.Build(rawDisk.Length, VhdFooter.FixedDisk, VhdFooter.NoDataOffset, identity));
    }
}
