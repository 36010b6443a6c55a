namespace Unikernel.Tools.Export;

/// <summary>How an exported machine starts the image (`uk export --firmware`; `uk run --firmware` has its own choice, with auto).</summary>
public enum ExportFirmware
{
    /// <summary>UEFI (OVMF) on a q35 machine: what clouds give; the disk's \EFI\BOOT\BOOTX64.EFI loads the image.</summary>
    Uefi,
    /// <summary>Legacy BIOS (SeaBIOS) on the i440FX pc machine: the disk's boot sector loads the image.</summary>
    Bios,
    /// <summary>No firmware and no disk: the engine loads the ELF image itself (PVH), as `uk run` and Firecracker do.</summary>
    None,
}
