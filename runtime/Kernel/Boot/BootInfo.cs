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
        public ulong AppEntry;                 // the app's e_entry; 0 = no app in the image
        public ulong AppProgramHeaders;        // where the app's program headers are in memory
        public ulong AppProgramHeaderCount;
        public ulong AppStart;                 // page-aligned bounds of the app's PT_LOAD segments
        public ulong AppEnd;
    }
}
