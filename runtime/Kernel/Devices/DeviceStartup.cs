using Kernel.Devices.Acpi;
using Kernel.Devices.Pci;

namespace Kernel.Devices
{
    // What the machine is made of, found once at boot before any driver starts: the ACPI tables (which say where
    // the I/O APICs are, how ISA interrupts map to GSIs, where PCIe's ECAM window is and how to reset), then every
    // PCI function behind every bridge. Each source is optional -- microvm has no PCI, Firecracker may have no
    // ACPI -- and without one the kernel keeps QEMU's defaults. Reports "uk: acpi: ..." and "uk: pci: ..." lines.
    internal static unsafe class DeviceStartup
    {
        public static void Discover()
        {
            AcpiStartup.Initialize();
            AcpiTables tables = AcpiStartup.Tables;
            if (tables != null)
            {
                IoApic.UseMadt(tables.Madt);
                if (tables.Mcfg != null) PciConfigSpace.UseEcam(tables.Mcfg.EcamBase, tables.Mcfg.StartBus, tables.Mcfg.EndBus);
                if (tables.Fadt != null && tables.Fadt.HasResetRegister) s_reset = tables.Fadt;
                if (s_reset != null) Arch.Machine.FirmwareReset = &Reset;
                AcpiEvents.UseTables(tables);
            }
            PciEnumeration.Scan();
            PciEnumeration.Report(&HasDriver);
        }

        // The kernel's drivers, by what they drive: virtio-net (Virtio/VirtioNet) and virtio-blk (Virtio/VirtioBlock).
        private static bool HasDriver(PciFunction f)
        {
            if (f.Vendor != Virtio.VirtioPciTransport.VirtioVendor) return false;
            uint type = Virtio.VirtioPciTransport.DeviceTypeOf(f.Device, f.Subsystem);
            return type == Virtio.VirtioConstants.DeviceNetwork || type == Virtio.VirtioConstants.DeviceBlock;
        }

        private static Fadt s_reset;

        // The FADT's reset register (4.8.3.6): a byte written to an I/O port or a memory address.
        private static void Reset()
        {
            GenericAddress register = s_reset.ResetRegister;
            if (register.Space == GenericAddress.SystemIo && register.Address <= 0xFFFF) Arch.Cpu.OutByte((ushort)register.Address, s_reset.ResetValue);
            else if (register.Space == GenericAddress.SystemMemory && DeviceMemory.Map(register.Address, 1)) Mmio.Write8(register.Address, s_reset.ResetValue);
        }
    }
}
