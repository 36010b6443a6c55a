namespace Kernel.Arch
{
    // Guard pages: the page below the boot stack (the boot stub leaves it free, docs/boot-abi.md, and
    // KernelAddressSpace never maps it) and the page below every thread's kernel stack (Threads/KernelStacks).
    // Running into one turns a kernel stack overflow into a fault; the fault cannot be handled on the
    // overflowed stack, so the CPU escalates to a double fault, which runs on its own IST stack and can report it.
    internal static class StackGuard
    {
        private const ulong PageSize = 4096;
        private static ulong s_bootGuardPage;

        /// <summary>Records the boot stack's guard page (the page below <paramref name="stackBottom"/>).</summary>
        public static void SetBootStack(ulong stackBottom) => s_bootGuardPage = stackBottom - PageSize;

        public static ulong BootGuardPage => s_bootGuardPage;

        /// <summary>Whether an address (a faulting address, or a stack pointer) lies in a guard page.</summary>
        public static bool Contains(ulong address)
            => (s_bootGuardPage != 0 && address >= s_bootGuardPage && address < s_bootGuardPage + PageSize)
               || Threads.KernelStacks.IsGuardPage(address);
    }
}
