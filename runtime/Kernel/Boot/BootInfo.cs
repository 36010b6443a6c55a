namespace Kernel.Boot
{
    // What the boot stub hands to the kernel (docs/boot-abi.md, "uk_boot_info"). Field order is ABI.
    internal unsafe struct BootInfo
    {
        public const ulong ExpectedMagic = 0x3130544F4F424B55; // "UKBOOT01"

        public ulong Magic;
        public ulong PvhStartInfo;
        public ulong EntryTsc;
        public ulong ImageStart;
        public ulong ImageEnd;
        public ulong ModulesStart;
        public ulong ModulesEnd;
        public ulong KsymsStart;
        public ulong KsymsEnd;
        public ulong TextStart;
        public ulong TextEnd;
        public ulong BootStackBottom;
        public ulong BootStackTop;
        public ulong Xcr0;
        // The app embedded in the image (uk-ld --app), all 0 when there is none: its ELF entry, the address
        // and count of its program headers (AT_PHDR, AT_PHNUM), and the page-aligned range its PT_LOADs occupy.
        public ulong AppEntry;
        public ulong AppProgramHeaders;
        public ulong AppProgramHeaderCount;
        public ulong AppStart;
        public ulong AppEnd;
        // The image's read-only file system (uk_files, uk-ld with --app), right after uk_ksyms; an empty range without.
        public ulong FilesStart;
        public ulong FilesEnd;
        // The compressed payload (uk-ld --compress), which ImagePayload expands before anything reads the app
        // or the image's tables; 0 for an uncompressed image.
        public ulong PayloadStart;
    }
}
