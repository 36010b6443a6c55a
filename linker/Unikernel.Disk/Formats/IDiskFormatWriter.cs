namespace Unikernel.Disk.Formats;

/// <summary>
/// Writes a raw disk (the bytes a firmware sees, sector by sector) in one container format. The raw disk's length is a
/// multiple of 1 MiB; an all-zero region may be left out where the format allows (sparse). Writers never touch the
/// clock or a random source: whatever they record comes from <see cref="DiskIdentity"/>.
/// </summary>
public interface IDiskFormatWriter
{
    /// <summary>The name users give (`raw`, `qcow2`, `vhd`, `vhd-dynamic`, `vmdk`, `gce`).</summary>
    string Name { get; }

    /// <summary>The usual file name extension, with the dot (`.qcow2`, `.tar.gz`).</summary>
    string Extension { get; }

    void Write(ReadOnlyMemory<byte> rawDisk, DiskIdentity identity, Stream output);
}
