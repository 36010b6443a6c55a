namespace Unikernel.Tools.Export;

/// <summary>How an engine that boots a disk starts the image.</summary>
public enum Firmware
{
    /// <summary>UEFI (OVMF) on a q35 machine: what clouds give; the disk's \EFI\BOOT\BOOTX64.EFI loads the image.</summary>
    Uefi,
    /// <summary>Legacy BIOS (SeaBIOS) on the i440FX pc machine: the disk's boot sector loads the image.</summary>
    Bios,
    /// <summary>No firmware and no disk: the engine loads the ELF image itself (PVH), as `uk run` and Firecracker do.</summary>
    None,
}
