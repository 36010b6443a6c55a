namespace Unikernel.Loaders.Uefi;

/// <summary>
/// \EFI\BOOT\BOOTX64.EFI: a PE32+ EFI application (x86-64, subsystem 10) that boots the disk's \UK\IMAGE.ELF the way a
/// PVH loader does, with \UK\CMDLINE.TXT as the command line (docs/disk-images.md, "UEFI loader";
/// <see cref="LoaderProgram"/> says what it does). Generated, not built: the same bytes every time.
/// </summary>
public static class UefiLoader
{
    public static byte[] Build()
    {
        var (code, entry) = LoaderProgram.Assemble(PeImageWriter.PreferredImageBase + PeImageWriter.TextRva);
        return PeImageWriter.Write(code, (uint)entry);
    }
}
