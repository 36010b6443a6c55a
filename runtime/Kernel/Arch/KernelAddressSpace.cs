using Kernel.Boot;
using Kernel.Memory;

namespace Kernel.Arch
{
    // Replaces the boot stub's page tables, which identity-map the first 4 GiB, by the kernel's final
    // address space (MemoryLayout): a new PML4 whose lower half holds only the kernel image (supervisor,
    // W^X: text read-only and executable, everything else writable and NX, the boot stack's guard page absent)
    // and the app's image at its link address (supervisor until AppLoader opens each segment to ring 3);
    // the direct map of slot 256 carries over, NX. From here the app's window [4 MiB, 128 TiB) contains no
    // kernel byte: whatever the app maps there is its own memory.
    internal static unsafe class KernelAddressSpace
    {
        private const ulong PageSize = 4096;
        private const int DirectMapSlot = (int)((MemoryLayout.DirectMapBase >> 39) & 511);

        /// <summary>Null on success, else why the page tables could not be built.</summary>
        public static string Build(BootInfo* boot)
        {
            if (boot->ImageEnd > MemoryLayout.UserBase) return "the kernel image ends above 4 MiB, inside the app's address range (relink it)";
            if (boot->AppEnd != 0 && (boot->AppStart < MemoryLayout.UserBase || !MemoryLayout.IsUserRange(boot->AppStart, boot->AppEnd - boot->AppStart)))
                return "the app's segments lie outside [4 MiB, 128 TiB), the range an app may occupy (relink it)";

            ulong rootPhysical = PageTables.NewTable();
            if (rootPhysical == 0) return "no memory for the page tables";
            ulong* root = PageTables.Table(rootPhysical);
            bool noExecute = PageTables.NoExecuteSupported;
            ulong nx = noExecute ? PageTables.NoExecute : 0;
            root[DirectMapSlot] = PageTables.Table(Cpu.ReadCr3())[DirectMapSlot] | nx;

            ulong textStart = boot->TextStart & ~(PageSize - 1);
            for (ulong page = boot->ImageStart & ~(PageSize - 1); page < boot->ImageEnd; page += PageSize)
            {
                if (page == StackGuard.BootGuardPage) continue;
                bool text = page >= textStart && page < boot->TextEnd;
                if (!Map(root, page, PageTables.Present | (text ? 0 : PageTables.Writable | nx))) return "no memory for the page tables";
            }
            for (ulong page = boot->AppStart; page < boot->AppEnd; page += PageSize)
            {
                if (!Map(root, page, PageTables.Present | PageTables.Writable | nx)) return "no memory for the page tables";
            }
            Cpu.WriteCr3(rootPhysical);
            return null;
        }

        // Identity: these pages are where the VMM loaded them. Intermediate tables allow user access; only
        // the leaves decide it, and no leaf made here has the U bit.
        private static bool Map(ulong* root, ulong page, ulong flags)
        {
            ulong* entry = PageTables.EnsureLeaf(root, page, PageTables.Present | PageTables.Writable | PageTables.User);
            if (entry == null) return false;
            *entry = page | flags;
            return true;
        }
    }
}
