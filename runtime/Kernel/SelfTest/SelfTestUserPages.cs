#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Diagnostics;
using Kernel.Memory;

namespace Kernel.SelfTest
{
    // Self-tests play the app before any app exists, so they need pages that ring 3 and the system calls'
    // user checks accept: pages of the user window. Page-allocator pages (direct-map addresses) get a second
    // mapping there, at a fixed distance above their physical address, far from anything an app would use.
    internal static unsafe class SelfTestUserPages
    {
        private const ulong AliasBase = 0x0000_0040_0000_0000;   // 256 GiB

        /// <summary>The user-window address of <paramref name="count"/> page-allocator pages from <paramref name="kernelPages"/>.</summary>
        public static ulong Map(ulong kernelPages, ulong count, bool executable = false)
        {
            ulong physical = MemoryLayout.ToPhysical(kernelPages);
            ulong user = AliasBase + physical;
            if (!PageTables.MapUserPages(user, physical, count, executable)) Panic.Fail("selftest: cannot map user pages");
            return user;
        }
    }
}
#endif
