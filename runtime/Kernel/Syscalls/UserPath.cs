using Kernel.Files;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // Copies a NUL-terminated path from the app into one of two kernel buffers (rename and symlink take
    // two paths), checking each page before touching it. The buffers are static: system calls run one at
    // a time to completion with interrupts off, and none parks while it holds a path.
    internal static unsafe class UserPath
    {
        private struct Buffer { public fixed byte Bytes[PathWalker.PathMax]; }
        private static Buffer s_first, s_second;

        public static byte* First { get { fixed (Buffer* b = &s_first) return b->Bytes; } }
        public static byte* Second { get { fixed (Buffer* b = &s_second) return b->Bytes; } }

        /// <summary>
        /// The path's length without its NUL (0 for ""), or -EFAULT (unmapped) / -ENAMETOOLONG (no NUL
        /// within PATH_MAX bytes).
        /// </summary>
        public static long Copy(ulong address, byte* buffer)
        {
            ulong checkedEnd = address;
            for (int i = 0; i < PathWalker.PathMax; i++)
            {
                ulong at = address + (ulong)i;
                if (at >= checkedEnd || at < address)
                {
                    if (!UserMemory.IsUserRange(at, 1)) return -Errno.EFAULT;
                    checkedEnd = (at & ~4095UL) + 4096;
                }
                byte value = *(byte*)at;
                buffer[i] = value;
                if (value == 0) return i;
            }
            return -Errno.ENAMETOOLONG;
        }
    }
}
