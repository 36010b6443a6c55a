using System.Runtime.InteropServices;

// The kernel services the network code calls, as the host build provides them: same names and shapes,
// deterministic behaviour the tests control (a virtual clock, a seeded random stream, native memory).

namespace Kernel.Time
{
    internal static class Clock
    {
        /// <summary>Virtual time: moves only when a test advances it.</summary>
        public static ulong MonotonicNanoseconds = 1_000_000_000;
    }
}

namespace Kernel.Threads
{
    internal static class Scheduler
    {
        public const ulong TickNanoseconds = 4_000_000;
    }
}

namespace Kernel.Entropy
{
    internal static unsafe class Random
    {
        private static ulong s_state = 0x9E3779B97F4A7C15;

        public static void Seed(ulong seed) => s_state = seed | 1;

        public static void Fill(byte* buffer, int length)
        {
            for (int i = 0; i < length; i++)
            {
                s_state ^= s_state << 13;
                s_state ^= s_state >> 7;
                s_state ^= s_state << 17;
                buffer[i] = (byte)s_state;
            }
        }
    }
}

namespace Kernel.Memory
{
    internal unsafe struct HostPages
    {
        public ulong AllocateZeroedPages(int count) => (ulong)NativeMemory.AlignedAlloc((nuint)(count * 4096), 4096) is var p && p != 0
            ? Zero(p, count) : 0;

        private static ulong Zero(ulong p, int count)
        {
            NativeMemory.Clear((void*)p, (nuint)(count * 4096));
            return p;
        }
    }

    internal static unsafe class KernelMemory
    {
        private static HostPages s_pages;
        public static HostPages* Pages { get { fixed (HostPages* p = &s_pages) return p; } }
        public static long LiveBlocks;
        /// <summary>The guest's RAM as the memory map would report it (what TcpProtocol sizes its limits from).</summary>
        public static ulong RamBytes = 128UL << 20;

        public static void* AllocateZeroed(nuint size)
        {
            LiveBlocks++;
            return NativeMemory.AllocZeroed(size == 0 ? 1 : size);
        }

        public static bool Free(object obj) => obj != null;

        public static bool FreeBlock(void* block)
        {
            if (block == null) return false;
            LiveBlocks--;
            NativeMemory.Free(block);
            return true;
        }
    }
}

namespace Kernel.Diagnostics
{
    internal static class Panic
    {
        public static void Fail(string message) => throw new System.InvalidOperationException("kernel panic: " + message);
    }
}

namespace Kernel.Boot
{
    internal static unsafe class BootCommandLine
    {
        public static byte* Option(string name, out int length)
        {
            length = 0;
            return null;
        }

        public static bool OptionEquals(string name, string value) => false;

        public static int NumberOption(string name, int otherwise = 0) => otherwise;
    }
}

namespace Kernel.Syscalls
{
    // Host tests hand the socket layer host pointers: every range is the "user's".
    internal static class UserMemory
    {
        public static bool IsUserRange(ulong address, ulong length) => address != 0;
        public static bool IsWritableUserRange(ulong address, ulong length) => address != 0;
    }
}
