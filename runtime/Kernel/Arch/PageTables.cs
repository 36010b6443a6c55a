using Kernel.Memory;

namespace Kernel.Arch
{
    // Reads and edits the 4-level x86-64 page tables. Entries hold physical addresses; the kernel reaches
    // every table through the direct map (MemoryLayout.ToDirectMap), which the boot stub sets up before the
    // first line of C# runs, so nothing here depends on the identity map that KernelAddressSpace removes.
    internal static unsafe class PageTables
    {
        public const ulong Present = 1UL << 0;
        public const ulong Writable = 1UL << 1;
        public const ulong User = 1UL << 2;
        /// <summary>PWT and PCD: with the default PAT, uncached (device registers).</summary>
        public const ulong WriteThrough = 1UL << 3, CacheDisable = 1UL << 4;
        public const ulong LargePage = 1UL << 7;
        /// <summary>Software bit: the entry keeps its page while PROT_NONE makes it not present.</summary>
        public const ulong KeptWhileInaccessible = 1UL << 9;
        public const ulong NoExecute = 1UL << 63;
        public const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
        private const uint EferMsr = 0xC000_0080;
        private const ulong EferNoExecuteEnable = 1UL << 11;

        /// <summary>Whether the boot stub turned on EFER.NXE (the NX bit is reserved without it).</summary>
        public static bool NoExecuteSupported => (Cpu.ReadMsr(EferMsr) & EferNoExecuteEnable) != 0;

        /// <summary>The kernel's pointer to the table an entry (or CR3) points at.</summary>
        public static ulong* Table(ulong entry) => (ulong*)MemoryLayout.ToDirectMap(entry & AddressMask);

        private static ulong* Root => Table(Cpu.ReadCr3());

        /// <summary>A zeroed page for a new table, as its physical address (0 when memory ran out).</summary>
        public static ulong NewTable()
        {
            ulong page = KernelMemory.Pages->AllocateZeroedPages(1);
            return page == 0 ? 0 : MemoryLayout.ToPhysical(page);
        }

        /// <summary>
        /// The 4 KiB leaf entry for <paramref name="address"/>, creating the missing intermediate tables with
        /// <paramref name="tableFlags"/> (the leaf decides the access; intermediate levels only have to allow
        /// it). Null when a table cannot be allocated or a large page is in the way.
        /// </summary>
        public static ulong* EnsureLeaf(ulong* root, ulong address, ulong tableFlags)
        {
            ulong* table = root;
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong* entry = &table[(address >> shift) & 511];
                if ((*entry & Present) == 0)
                {
                    ulong newTable = NewTable();
                    if (newTable == 0) return null;
                    *entry = newTable | tableFlags;
                }
                else if ((*entry & LargePage) != 0) return null;
                table = Table(*entry);
            }
            return &table[(address >> 12) & 511];
        }

        /// <summary>
        /// The leaf entry for a page of the user window, creating missing tables (present, writable, user).
        /// Null outside the window, or when a table cannot be allocated.
        /// </summary>
        public static ulong* EnsureUserPageEntry(ulong address)
        {
            if (!MemoryLayout.IsUserRange(address, 0)) return null;
            return EnsureLeaf(Root, address, Present | Writable | User);
        }

        /// <summary>
        /// The leaf entry for <paramref name="address"/> (page-aligned) if its page tables exist, else null; either
        /// way <paramref name="next"/> is the next address worth looking at, so walks over huge, mostly empty
        /// reservations skip whole missing tables instead of visiting every 4 KiB page. With an entry, the pages up
        /// to <paramref name="next"/> (at most <paramref name="end"/>, at most the end of the leaf table) have theirs
        /// following it, so a walk looks at the upper tables once per 2 MiB, not once per page.
        /// </summary>
        public static ulong* WalkLeaves(ulong address, ulong end, out ulong next)
        {
            ulong* table = Root;
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong entry = table[(address >> shift) & 511];
                if ((entry & Present) == 0 || (entry & LargePage) != 0)
                {
                    next = (address & ~((1UL << shift) - 1)) + (1UL << shift);
                    return null;
                }
                table = Table(entry);
            }
            ulong tableEnd = (address & ~((1UL << 21) - 1)) + (1UL << 21);
            next = tableEnd < end ? tableEnd : end;
            return &table[(address >> 12) & 511];
        }

        /// <summary>The entry that maps <paramref name="address"/> with a 4 KiB page, or null.</summary>
        public static ulong* FindSmallPageEntry(ulong address)
        {
            ulong* table = Root;
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong entry = table[(address >> shift) & 511];
                if ((entry & Present) == 0 || (entry & LargePage) != 0) return null;
                table = Table(entry);
            }
            return &table[(address >> 12) & 511];
        }

        /// <summary>
        /// Maps <paramref name="count"/> physical pages from <paramref name="physical"/> at <paramref name="userAddress"/>
        /// in the user window for ring 3 (writable; executable when asked). False outside the window or out of memory.
        /// </summary>
        public static bool MapUserPages(ulong userAddress, ulong physical, ulong count, bool executable)
        {
            if (!MemoryLayout.IsUserRange(userAddress, count * 4096)) return false;
            ulong flags = Present | Writable | User | (executable || !NoExecuteSupported ? 0 : NoExecute);
            for (ulong i = 0; i < count; i++)
            {
                ulong* entry = EnsureUserPageEntry(userAddress + i * 4096);
                if (entry == null) return false;
                *entry = (physical + i * 4096) | flags;
                Cpu.InvalidatePage(userAddress + i * 4096);
            }
            return true;
        }

        /// <summary>
        /// Maps or unmaps one 4 KiB page of the boot stub's identity map (page 0, which the loader data may
        /// sit in); false when it is not mapped with 4 KiB pages.
        /// </summary>
        public static bool SetPresent(ulong address, bool present)
        {
            ulong* entry = FindSmallPageEntry(address);
            if (entry == null) return false;
            *entry = present ? (*entry | Present) : (*entry & ~Present);
            Cpu.InvalidatePage(address);
            return true;
        }
    }
}
