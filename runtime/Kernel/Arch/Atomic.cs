using System.Runtime.InteropServices;

namespace Kernel.Arch
{
    // The few atomic read-modify-writes the kernel needs where CPUs meet outside the kernel lock (the lock
    // itself, per-CPU counters others read, CPUs coming online): lock-prefixed instructions in the boot stub.
    internal static unsafe class Atomic
    {
        /// <summary>If *word == expected, *word = desired; returns the value *word had.</summary>
        [DllImport("*", EntryPoint = "uk_compare_exchange32"), SuppressGCTransition]
        public static extern int CompareExchange(int* word, int expected, int desired);

        public static int Increment(int* word)
        {
            while (true)
            {
                int seen = *word;   // re-read every round: the call below is opaque to the compiler
                if (CompareExchange(word, seen, seen + 1) == seen) return seen + 1;
            }
        }
    }
}
