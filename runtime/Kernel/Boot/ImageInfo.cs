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

        /// <summary>The app's name and version (bytes in the image, not NUL-terminated); false without uk_image_info.</summary>
        public static bool Find(BootInfo* boot, out byte* name, out int nameLength, out byte* version, out int versionLength)
        {
            name = version = null;
            nameLength = versionLength = 0;
            byte* info = Header(boot);
            if (info == null) return false;
            UkImageInfoHeader* header = (UkImageInfoHeader*)info;
            name = info + header->NameOffset;
            nameLength = (int)header->NameLength;
            version = info + header->VersionOffset;
            versionLength = (int)header->VersionLength;
            return true;
        }

        // The checked uk_image_info, or null when the image has no app or no (sound) uk_image_info.
        private static byte* Header(BootInfo* boot)
        {
            if (boot->AppEnd == 0 || boot->KsymsStart < boot->AppEnd + UkImageInfoFormat.HeaderSize) return null;
            byte* info = (byte*)Memory.MemoryLayout.ToDirectMap(boot->AppEnd);
            UkImageInfoHeader* header = (UkImageInfoHeader*)info;
            uint size = header->Size;
            if (header->Magic != UkImageInfoFormat.Magic || size < UkImageInfoFormat.HeaderSize || size > PageSize) return null;
            if (header->NameOffset + header->NameLength > size || header->VersionOffset + header->VersionLength > size) return null;
            return info;
        }

        // "uk: image NAME VERSION sha256:HEX"; nothing when the image has no app or no uk_image_info.
        public static void Report(BootInfo* boot)
        {
            if (!Find(boot, out byte* name, out int nameLength, out byte* version, out int versionLength)) return;
            byte* info = Header(boot);

            KernelConsole.Prefix();
            KernelConsole.Write("image ");
            KernelConsole.WriteBytes(name, nameLength);
            KernelConsole.Write(' ');
            KernelConsole.WriteBytes(version, versionLength);
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
