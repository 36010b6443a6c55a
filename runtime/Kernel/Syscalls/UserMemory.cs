using Kernel.Arch;
using Kernel.LinuxAbi;
using Kernel.Memory;

namespace Kernel.Syscalls
{
    // Checks on pointers an app passes in: only the user window (MemoryLayout) can pass, whatever the page
    // tables say. With one address space the kernel then reads and writes them directly, inside the system
    // call dispatcher's UserAccess window (SMAP); pages not yet touched fault in on the kernel's access like on
    // the app's.
    internal static unsafe class UserMemory
    {
        /// <summary>The app may read [address, address + length).</summary>
        public static bool IsUserRange(ulong address, ulong length)
        {
            if (Threads.Scheduler.HasStarted) return UserAddressSpace.IsAccessible(address, length, false);
            return IsMappedForUser(address, length, PageTables.Present | PageTables.User);
        }

        /// <summary>The app may write [address, address + length) (where the kernel puts results).</summary>
        public static bool IsWritableUserRange(ulong address, ulong length)
        {
            if (Threads.Scheduler.HasStarted) return UserAddressSpace.IsAccessible(address, length, true);
            return IsMappedForUser(address, length, PageTables.Present | PageTables.User | PageTables.Writable);
        }

        // Before an app runs (kernel self-tests in ring 3) there are no memory areas: the page tables decide.
        private static bool IsMappedForUser(ulong address, ulong length, ulong needed)
        {
            if (length == 0) return true;
            if (!MemoryLayout.IsUserRange(address, length)) return false;
            for (ulong page = address & ~4095UL; page < address + length; page += 4096)
            {
                ulong* entry = PageTables.FindSmallPageEntry(page);
                if (entry == null || (*entry & needed) != needed) return false;
            }
            return true;
        }

        /// <summary>Reads a struct timespec as nanoseconds; false if unreadable or not normalized.</summary>
        public static bool TryReadTimespec(ulong address, out ulong nanoseconds, out long error)
        {
            nanoseconds = 0;
            error = 0;
            if (!IsUserRange(address, 16)) { error = -Errno.EFAULT; return false; }
            long seconds = ((long*)address)[0], nanos = ((long*)address)[1];
            if (seconds < 0 || nanos < 0 || nanos >= 1_000_000_000) { error = -Errno.EINVAL; return false; }
            nanoseconds = (ulong)seconds > (ulong.MaxValue - (ulong)nanos) / 1_000_000_000UL ? ulong.MaxValue : (ulong)seconds * 1_000_000_000UL + (ulong)nanos;
            return true;
        }
    }
}
