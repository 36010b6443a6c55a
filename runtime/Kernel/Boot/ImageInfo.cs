using Kernel.Console;
using Unikernel.Formats;

namespace Kernel.Boot
{
    // uk_image_info (formats/UkImageInfoFormat.cs, docs/boot-abi.md "uk_image_info"), which the linker writes into an
    // image with an app: the app's name and version and the SHA-256 of what the VMM loaded. It opens the page at AppEnd,
    // which the page allocator keeps (it is uk_ksyms' first page). The boot report prints it as one line.
    internal static unsafe class ImageInfo
    {
        private const uint PageSize = 4096;

        // "uk: image NAME VERSION sha256:HEX"; nothing when the image has no app or no uk_image_info.
        public static void Report(BootInfo* boot)
        {
            if (boot->AppEnd == 0 || boot->KsymsStart < boot->AppEnd + UkImageInfoFormat.HeaderSize) return;
            byte* info = (byte*)Memory.MemoryLayout.ToDirectMap(boot->AppEnd);
            UkImageInfoHeader* header = (UkImageInfoHeader*)info;
            uint size = header->Size;
            if (header->Magic != UkImageInfoFormat.Magic || size < UkImageInfoFormat.HeaderSize || size > PageSize) return;
            uint nameOffset = header->NameOffset, nameLength = header->NameLength;
            uint versionOffset = header->VersionOffset, versionLength = header->VersionLength;
            if (nameOffset + nameLength > size || versionOffset + versionLength > size) return;

            KernelConsole.Prefix();
            KernelConsole.Write("image ");
            KernelConsole.WriteBytes(info + nameOffset, (int)nameLength);
            KernelConsole.Write(' ');
            KernelConsole.WriteBytes(info + versionOffset, (int)versionLength);
            KernelConsole.Write(" sha256:");
            const int hashEnd = UkImageInfoFormat.ImageSha256Offset + UkImageInfoFormat.Sha256Size;
            for (int i = UkImageInfoFormat.ImageSha256Offset; i < hashEnd; i++)
            {
                KernelConsole.Write(HexDigit(info[i] >> 4));
                KernelConsole.Write(HexDigit(info[i] & 0xF));
            }
            KernelConsole.WriteLine();
        }

        private static char HexDigit(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
