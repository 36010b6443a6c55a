namespace Unikernel.Loaders.Uefi;

/// <summary>
/// The parts of the UEFI 2.10 specification the loader calls into, as byte offsets of x64 tables (every pointer and
/// UINTN 8 bytes) and the GUIDs it looks up. Only what the loader uses.
/// </summary>
internal static class EfiAbi
{
    // EFI_SYSTEM_TABLE (4.3): a 24-byte header, then pointers.
    public const int SystemTableConOut = 64;
    public const int SystemTableBootServices = 96;
    public const int SystemTableEntryCount = 104;        // NumberOfTableEntries
    public const int SystemTableConfiguration = 112;     // ConfigurationTable: EFI_CONFIGURATION_TABLE[]
    public const int ConfigurationEntryBytes = 24;       // { EFI_GUID VendorGuid; VOID *VendorTable; }

    // EFI_BOOT_SERVICES (4.4): a 24-byte header, then function pointers in the specification's order.
    public const int AllocatePages = 40;
    public const int FreePages = 48;
    public const int GetMemoryMap = 56;
    public const int AllocatePool = 64;
    public const int HandleProtocol = 152;
    public const int ExitBootServices = 232;

    // EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL (12.4)
    public const int OutputString = 8;

    // EFI_LOADED_IMAGE_PROTOCOL (9.1)
    public const int LoadedImageDeviceHandle = 24;

    // EFI_SIMPLE_FILE_SYSTEM_PROTOCOL (13.4) and EFI_FILE_PROTOCOL (13.5)
    public const int OpenVolume = 8;
    public const int FileOpen = 8;
    public const int FileClose = 16;
    public const int FileRead = 32;
    public const int FileGetInfo = 64;
    public const ulong FileModeRead = 1;
    public const int FileInfoFileSize = 8;               // EFI_FILE_INFO.FileSize

    // EFI_ALLOCATE_TYPE and EFI_MEMORY_TYPE (7.2)
    public const int AllocateMaxAddress = 1;
    public const uint LoaderCode = 1;
    public const uint LoaderData = 2;

    // EFI_MEMORY_DESCRIPTOR (7.2): Type (u32), PhysicalStart (u64 at 8), NumberOfPages (u64 at 24); the firmware's
    // DescriptorSize, not sizeof, is the stride.
    public const int DescriptorType = 0;
    public const int DescriptorPhysicalStart = 8;
    public const int DescriptorPageCount = 24;

    // EFI_STATUS (Appendix D): errors have the top bit set.
    public const ulong LoadError = 0x8000_0000_0000_0001;
    public const ulong InvalidParameter = 0x8000_0000_0000_0002;
    public const ulong BadBufferSize = 0x8000_0000_0000_0004;
    public const ulong BufferTooSmall = 0x8000_0000_0000_0005;
    public const ulong OutOfResources = 0x8000_0000_0000_0009;
    public const ulong NotFound = 0x8000_0000_0000_000E;

    public static readonly Guid LoadedImageProtocol = new("5B1B31A1-9562-11D2-8E3F-00A0C969723B");
    public static readonly Guid SimpleFileSystemProtocol = new("964E5B22-6459-11D2-8E39-00A0C969723B");
    public static readonly Guid FileInfo = new("09576E92-6D3F-11D2-8E39-00A0C969723B");
    public static readonly Guid Acpi20Table = new("8868E871-E4F1-11D3-BC22-0080C73C8881");
    public static readonly Guid Acpi10Table = new("EB9D2D30-2D88-11D3-9A16-0090273FC14D");
}
