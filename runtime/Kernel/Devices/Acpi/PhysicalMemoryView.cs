namespace Kernel.Devices.Acpi
{
    // How the ACPI code reaches firmware memory by physical address: the kernel passes its direct map
    // (AcpiStartup), the host tests a buffer. Null means the range cannot be reached (page 0, beyond what
    // can be mapped), which the readers treat like a missing table.
    internal unsafe struct PhysicalMemoryView
    {
        public delegate*<ulong, ulong, byte*> Map;

        public PhysicalMemoryView(delegate*<ulong, ulong, byte*> map) { Map = map; }

        public byte* At(ulong physical, ulong length) => physical == 0 ? null : Map(physical, length);
    }
}
