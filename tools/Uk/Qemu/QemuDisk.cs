namespace Unikernel.Tools.Qemu;

/// <summary>
/// A disk image booted through firmware instead of -kernel: the disk on virtio-blk-pci (which SeaBIOS and OVMF both
/// boot from, and the kernel reads only to find it is not a config drive), opened with snapshot=on so the guest never writes the file, and for UEFI Debian's
/// OVMF as pflash, its variable store also snapshot=on (a private copy per boot, the shipped file untouched).
/// </summary>
public sealed record QemuDisk(string Path, string Driver, Firmware Firmware)
{
    public const string OvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd", OvmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    public IEnumerable<string> Arguments()
    {
        if (Firmware == Firmware.Uefi)
        {
            yield return "-drive"; yield return $"if=pflash,format=raw,unit=0,readonly=on,file={Escape(OvmfCode)}";
            yield return "-drive"; yield return $"if=pflash,format=raw,unit=1,snapshot=on,file={Escape(OvmfVars)}";
            // Without S3, OVMF keeps no ACPI NVS for resume at 8 MiB inside the range an image's app is linked at
            // (docs/disk-images.md, "UEFI loader"); the kernel never suspends.
            yield return "-global"; yield return "ICH9-LPC.disable_s3=1";
        }
        yield return "-drive"; yield return $"if=none,id=disk0,format={Driver},snapshot=on,file={Escape(Path)}";
        yield return "-device"; yield return "virtio-blk-pci,drive=disk0,bootindex=0";   // before any network card's PXE ROM
    }

    private static string Escape(string value) => QemuCommand.QemuOptionValue(value);
}
