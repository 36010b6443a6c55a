namespace Kernel.Arch
{
    // Reads and edits the 4-level x86-64 page tables the boot stub built (identity map of the first
    // 4 GiB; the first 2 MiB in 4 KiB pages). Tables are reached through their physical addresses,
    // which the identity map makes directly usable.
    internal static unsafe class PageTables
    {
        public const ulong Present = 1UL << 0;
        public const ulong Writable = 1UL << 1;
        public const ulong LargePage = 1UL << 7;
        private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

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

        /// <summary>Maps or unmaps one 4 KiB identity-mapped page; false if it is not a 4 KiB page.</summary>
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
