namespace Unikernel.Loaders.Bios;

/// <summary>
/// The BIOS boot path of a disk (docs/disk-images.md, "BIOS loader"): <see cref="BootCode"/> is the MBR's boot code,
/// <see cref="Stage2"/> the loader the BIOS boot partition holds after the <see cref="BiosBootMap"/> sector. Both are
/// machine code generated here with Iced, the same bytes every time.
/// </summary>
public static class BiosLoader
{
    private static readonly Lazy<byte[]> s_bootCode = new(BootSector.Build);
    private static readonly Lazy<byte[]> s_stage2 = new(Stage2Program.Build);

    /// <summary>Exactly 440 bytes: MBR bytes 0..439 (the disk writer adds the disk signature, the partition table and 0x55AA).</summary>
    public static byte[] BootCode() => (byte[])s_bootCode.Value.Clone();

    /// <summary>Whole sectors, written at LBA 2049 on (BiosBootMap.Stage2Sectors = its length / 512).</summary>
    public static byte[] Stage2() => (byte[])s_stage2.Value.Clone();
}
