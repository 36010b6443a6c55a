namespace Unikernel.Tools.Qemu;

/// <summary>The firmware a disk image boots through (`uk run --firmware`).</summary>
public enum Firmware
{
    /// <summary>BIOS when the disk has our BIOS boot partition (SeaBIOS boots faster than OVMF), else UEFI.</summary>
    Auto,
    /// <summary>SeaBIOS on the PC machine (-M pc): the MBR boot code, then stage 2 from the BIOS boot partition.</summary>
    Bios,
    /// <summary>OVMF on Q35 (-M q35): \EFI\BOOT\BOOTX64.EFI from the EFI system partition.</summary>
    Uefi,
}
