namespace Kernel.Arch
{
    // The boot stub leaves one page free below the boot stack (docs/boot-abi.md); unmapping it turns a
    // kernel stack overflow into a fault. The fault cannot be handled on the overflowed stack, so the
    // CPU escalates to a double fault, which runs on its own IST stack and can report it.
    internal static class StackGuard
    {
        private const ulong PageSize = 4096;
        private static ulong s_guardPage;

        /// <summary>False when the page is not mapped with 4 KiB pages (the guard is then absent).</summary>
        public static bool Install(ulong stackBottom)
        {
            ulong guard = stackBottom - PageSize;
            if (!PageTables.SetPresent(guard, false)) return false;
            s_guardPage = guard;
            return true;
        }

        /// <summary>Whether an address (a faulting address, or a stack pointer) lies in the guard page.</summary>
        public static bool Contains(ulong address)
            => s_guardPage != 0 && address >= s_guardPage && address < s_guardPage + PageSize;

        public static ulong GuardPage => s_guardPage;
    }
}
