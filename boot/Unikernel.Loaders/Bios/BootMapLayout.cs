namespace Unikernel.Loaders.Bios;

/// <summary>Field offsets of the <see cref="BiosBootMap"/> sector (see its ToSector), as the loader's code reads them.</summary>
internal static class BootMapLayout
{
    public const int Magic = 0;
    public const int ImageLba = 8;
    public const int ImageBytes = 16;
    public const int ConfigLba = 24;
    public const int ConfigCapacityBytes = 32;
    public const int Stage2Sectors = 36;
}
