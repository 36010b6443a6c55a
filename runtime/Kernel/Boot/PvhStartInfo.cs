namespace Kernel.Boot
{
    // The structure a PVH loader (QEMU, Firecracker, Cloud Hypervisor) leaves in guest memory and points
    // ebx at: Xen's public hvm_start_info, version 1 (with the memory map).
    internal struct PvhStartInfo
    {
        public const uint ExpectedMagic = 0x336EC578;

        public uint Magic;
        public uint Version;
        public uint Flags;
        public uint ModuleCount;
        public ulong ModuleListAddress;
        public ulong CommandLineAddress;
        public ulong RsdpAddress;
        public ulong MemoryMapAddress;     // version >= 1
        public uint MemoryMapEntries;      // version >= 1
        public uint Reserved;
    }

    internal struct PvhMemoryMapEntry
    {
        public const uint Ram = 1, Reserved = 2, AcpiReclaimable = 3, AcpiNvs = 4, Unusable = 5;

        public ulong Address;
        public ulong Size;
        public uint Type;
        public uint Reserved_;
    }
}
