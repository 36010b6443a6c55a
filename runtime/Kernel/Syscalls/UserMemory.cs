using Kernel.Arch;

namespace Kernel.Syscalls
{
    // Checks on pointers an app passes in: the range must be mapped for ring 3. (With one address space
    // the kernel can then read it directly; SMAP is not enabled.)
    internal static unsafe class UserMemory
    {
        public static bool IsUserRange(ulong address, ulong length)
        {
            if (length == 0) return true;
            if (address + length < address) return false;
            for (ulong page = address & ~4095UL; page < address + length; page += 4096)
            {
                ulong* entry = PageTables.FindSmallPageEntry(page);
                if (entry == null || (*entry & (PageTables.Present | PageTables.User)) != (PageTables.Present | PageTables.User)) return false;
            }
            return true;
        }

        /// <summary>Like IsUserRange, and every page is also writable (a buffer the kernel fills).</summary>
        public static bool IsWritableUserRange(ulong address, ulong length)
        {
            if (length == 0) return true;
            if (address + length < address) return false;
            const ulong needed = PageTables.Present | PageTables.User | PageTables.Writable;
            for (ulong page = address & ~4095UL; page < address + length; page += 4096)
            {
                ulong* entry = PageTables.FindSmallPageEntry(page);
                if (entry == null || (*entry & needed) != needed) return false;
            }
            return true;
        }
    }
}
