namespace Kernel.Arch
{
    // Reads and edits the 4-level x86-64 page tables the boot stub built (identity map of the first
    // 4 GiB; the first 2 MiB in 4 KiB pages). Tables are reached through their physical addresses,
    // which the identity map makes directly usable.
    internal static unsafe class PageTables
    {
        public const ulong Present = 1UL << 0;
        public const ulong Writable = 1UL << 1;
        public const ulong User = 1UL << 2;
        public const ulong LargePage = 1UL << 7;
        /// <summary>Software bit: the entry keeps its page while PROT_NONE makes it not present.</summary>
        public const ulong KeptWhileInaccessible = 1UL << 9;
        public const ulong NoExecute = 1UL << 63;
        public const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
        private const uint EferMsr = 0xC000_0080;
        private const ulong EferNoExecuteEnable = 1UL << 11;

        /// <summary>Whether the boot stub turned on EFER.NXE (the NX bit is reserved without it).</summary>
        public static bool NoExecuteSupported => (Cpu.ReadMsr(EferMsr) & EferNoExecuteEnable) != 0;

        /// <summary>
        /// The 4 KiB leaf entry for <paramref name="address"/> in the app's part of the address space,
        /// creating the missing intermediate tables (present, writable, user: the leaf decides). Null
        /// when a table cannot be allocated or a large page is in the way (the identity map, not app memory).
        /// </summary>
        public static ulong* EnsureUserPageEntry(ulong address)
        {
            ulong* table = (ulong*)(Cpu.ReadCr3() & AddressMask);
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong* entry = &table[(address >> shift) & 511];
                if ((*entry & Present) == 0)
                {
                    ulong newTable = Memory.KernelMemory.Pages->AllocateZeroedPages(1);
                    if (newTable == 0) return null;
                    *entry = newTable | Present | Writable | User;
                }
                else if ((*entry & LargePage) != 0) return null;
                table = (ulong*)(*entry & AddressMask);
            }
            return &table[(address >> 12) & 511];
        }

        /// <summary>
        /// The leaf entry for <paramref name="address"/> if its page tables exist, else null; either way
        /// <paramref name="next"/> is the next address worth looking at, so walks over huge, mostly empty
        /// reservations skip whole missing tables instead of visiting every 4 KiB page.
        /// </summary>
        public static ulong* WalkLeaf(ulong address, out ulong next)
        {
            ulong* table = (ulong*)(Cpu.ReadCr3() & AddressMask);
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong entry = table[(address >> shift) & 511];
                if ((entry & Present) == 0 || (entry & LargePage) != 0)
                {
                    next = (address & ~((1UL << shift) - 1)) + (1UL << shift);
                    return null;
                }
                table = (ulong*)(entry & AddressMask);
            }
            next = (address & ~4095UL) + 4096;
            return &table[(address >> 12) & 511];
        }

        /// <summary>The entry that maps <paramref name="address"/> with a 4 KiB page, or null.</summary>
        public static ulong* FindSmallPageEntry(ulong address)
        {
            ulong* table = (ulong*)(Cpu.ReadCr3() & AddressMask);
            for (int shift = 39; shift >= 21; shift -= 9)
            {
                ulong entry = table[(address >> shift) & 511];
                if ((entry & Present) == 0 || (entry & LargePage) != 0) return null;
                table = (ulong*)(entry & AddressMask);
            }
            return &table[(address >> 12) & 511];
        }

        /// <summary>
        /// Lets ring 3 reach the 4 KiB pages covering [address, address + length): the U bit on every
        /// level of their walk, splitting a 2 MiB page into 4 KiB ones first so that nothing around them
        /// becomes user-accessible too. False when a page table could not be allocated.
        /// </summary>
        public static bool MakeUserAccessible(ulong address, ulong length)
        {
            for (ulong page = address & ~4095UL; page < address + length; page += 4096)
            {
                ulong* table = (ulong*)(Cpu.ReadCr3() & AddressMask);
                for (int shift = 39; shift >= 21; shift -= 9)
                {
                    ulong* entry = &table[(page >> shift) & 511];
                    if ((*entry & Present) == 0) return false;
                    if ((*entry & LargePage) != 0 && !SplitLargePage(entry, page & ~((1UL << 21) - 1))) return false;
                    *entry |= User;
                    table = (ulong*)(*entry & AddressMask);
                }
                table[(page >> 12) & 511] |= User;
                Cpu.InvalidatePage(page);
            }
            return true;
        }

        private static bool SplitContaining(ulong address)
        {
            if (Memory.KernelMemory.Pages->TotalPages == 0) return false;
            ulong* table = (ulong*)(Cpu.ReadCr3() & AddressMask);
            for (int shift = 39; shift > 21; shift -= 9)
            {
                ulong entry = table[(address >> shift) & 511];
                if ((entry & Present) == 0 || (entry & LargePage) != 0) return false;
                table = (ulong*)(entry & AddressMask);
            }
            ulong* directoryEntry = &table[(address >> 21) & 511];
            if ((*directoryEntry & (Present | LargePage)) != (Present | LargePage)) return false;
            return SplitLargePage(directoryEntry, address & ~((1UL << 21) - 1));
        }

        // Replaces a 2 MiB mapping by a page table of 512 4 KiB entries with the same flags.
        private static bool SplitLargePage(ulong* entry, ulong regionStart)
        {
            ulong table = Memory.KernelMemory.Pages->AllocateZeroedPages(1);
            if (table == 0) return false;
            ulong flags = *entry & 0xFFF & ~LargePage;
            for (ulong i = 0; i < 512; i++) ((ulong*)table)[i] = (regionStart + i * 4096) | flags;
            *entry = table | flags;
            Cpu.WriteCr3(Cpu.ReadCr3());   // drops the 2 MiB translation everywhere
            return true;
        }

        /// <summary>
        /// Maps or unmaps one 4 KiB identity-mapped page, splitting its 2 MiB page first if needed (which
        /// needs the page allocator); false if that is impossible.
        /// </summary>
        public static bool SetPresent(ulong address, bool present)
        {
            ulong* entry = FindSmallPageEntry(address);
            if (entry == null && SplitContaining(address)) entry = FindSmallPageEntry(address);
            if (entry == null) return false;
            *entry = present ? (*entry | Present) : (*entry & ~Present);
            Cpu.InvalidatePage(address);
            return true;
        }
    }
}
