using Unikernel.Loaders.Bios;
using Unikernel.Loaders.Uefi;

namespace Unikernel.Disk;

/// <summary>The firmware-facing code a disk carries: the MBR boot code (440 bytes), BIOS stage 2 (whole sectors) and the
/// UEFI application BOOTX64.EFI. A value so the layout can be tested with any bytes; <see cref="Ours"/> are the real ones.</summary>
public sealed record BootLoaders(byte[] MbrBootCode, byte[] BiosStage2, byte[] UefiApplication)
{
    /// <summary>The loaders of boot/Unikernel.Loaders, assembled once per process (deterministic bytes).</summary>
    public static BootLoaders Ours => LazyOurs.Value;

    private static readonly Lazy<BootLoaders> LazyOurs = new(() => new BootLoaders(BiosLoader.BootCode(), BiosLoader.Stage2(), UefiLoader.Build()));
}
