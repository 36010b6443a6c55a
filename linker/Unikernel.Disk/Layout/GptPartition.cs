namespace Unikernel.Disk.Layout;

/// <summary>One GPT partition entry (UEFI spec 5.3.3, table 5-6): first and last LBA are inclusive.</summary>
public sealed record GptPartition(Guid Type, Guid Unique, long FirstLba, long LastLba, string Name, ulong Attributes = 0)
{
    /// <summary>The EFI system partition (UEFI spec table 5-7).</summary>
    public static readonly Guid EfiSystemType = new("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");

    /// <summary>The BIOS boot partition ("Hah!IdontNeedEFI"): the home of a BIOS loader's second stage on a GPT disk.</summary>
    public static readonly Guid BiosBootType = new("21686148-6449-6E6F-744E-656564454649");

    public long Sectors => LastLba - FirstLba + 1;

    /// <summary>The name field holds 36 UTF-16 code units.</summary>
    public const int NameChars = 36;
}
