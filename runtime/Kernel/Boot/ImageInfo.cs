using Kernel.Console;

namespace Kernel.Boot
{
    // uk_image_info (docs/boot-abi.md, "uk_image_info"), which the linker writes into an image with an app: the
    // app's name and version and the SHA-256 of what the VMM loaded. It opens the page at AppEnd, which the page
    // allocator keeps (it is uk_ksyms' first page). The boot report prints it as one line.
    internal static unsafe class ImageInfo
    {
        private const ulong Magic = 0x314547414D494B55; // "UKIMAGE1"
        private const int HeaderSize = 72;
        private const uint PageSize = 4096;

        // "uk: image NAME VERSION sha256:HEX"; nothing when the image has no app or no uk_image_info.
        public static void Report(BootInfo* boot)
        {
            if (boot->AppEnd == 0 || boot->KsymsStart < boot->AppEnd + HeaderSize) return;
            byte* info = (byte*)Memory.MemoryLayout.ToDirectMap(boot->AppEnd);
            uint size = *(uint*)(info + 8);
            if (*(ulong*)info != Magic || size < HeaderSize || size > PageSize) return;
            uint nameOffset = *(uint*)(info + 48), nameLength = *(uint*)(info + 52);
            uint versionOffset = *(uint*)(info + 56), versionLength = *(uint*)(info + 60);
            if (nameOffset + nameLength > size || versionOffset + versionLength > size) return;

            KernelConsole.Prefix();
            KernelConsole.Write("image ");
            KernelConsole.WriteBytes(info + nameOffset, (int)nameLength);
            KernelConsole.Write(' ');
            KernelConsole.WriteBytes(info + versionOffset, (int)versionLength);
            KernelConsole.Write(" sha256:");
            for (int i = 16; i < 48; i++)
            {
                KernelConsole.Write(HexDigit(info[i] >> 4));
                KernelConsole.Write(HexDigit(info[i] & 0xF));
            }
            KernelConsole.WriteLine();
        }

        private static char HexDigit(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
