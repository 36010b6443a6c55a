using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Devices
{
    // Device registers and firmware tables above the 4 GiB the boot stub's direct map covers: UEFI firmware puts
    // 64-bit PCI BARs high (OVMF: above RAM, up to the CPU's physical address width), and the MCFG or MADT may
    // name addresses there. Such ranges get 4 KiB pages at their usual direct-map address (MemoryLayout.ToDirectMap,
    // so Mmio needs no second way to address them), supervisor-only, NX and uncached; ranges below 4 GiB are mapped
    // already. The direct map's slots end where the kernel stacks begin, at 64 TiB of physical address.
    internal static unsafe class DeviceMemory
    {
        private const ulong PageSize = 4096;
        private const ulong Limit = MemoryLayout.KernelStacksBase - MemoryLayout.DirectMapBase;

        /// <summary>Makes [physical, physical + length) reachable through the direct map; false when it cannot be.</summary>
        public static bool Map(ulong physical, ulong length)
        {
            if (length == 0) length = 1;
            if (physical >= Limit || length > Limit - physical) return false;
            if (physical + length <= MemoryLayout.DirectMapSize) return true;
            ulong* root = PageTables.Table(Cpu.ReadCr3());
            ulong flags = PageTables.Present | PageTables.Writable | PageTables.CacheDisable | PageTables.WriteThrough
                        | (PageTables.NoExecuteSupported ? PageTables.NoExecute : 0);
            ulong first = (physical < MemoryLayout.DirectMapSize ? MemoryLayout.DirectMapSize : physical) & ~(PageSize - 1);
            for (ulong page = first; page < physical + length; page += PageSize)
            {
                ulong* entry = PageTables.EnsureLeaf(root, MemoryLayout.ToDirectMap(page), PageTables.Present | PageTables.Writable);
                if (entry == null) return false;
                if ((*entry & PageTables.Present) != 0) continue;
                *entry = page | flags;
                Cpu.InvalidatePage(MemoryLayout.ToDirectMap(page));
            }
            return true;
        }
    }
}
