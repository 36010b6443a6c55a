using Kernel.Threads;

namespace Kernel.Process
{
    // Where the process's own description lives, as Linux's mm_struct records it: the argument and
    // environment strings on the initial stack (each area one run of NUL-terminated strings, ascending),
    // which /proc/self/cmdline and environ read from the app's memory as they are now, and the initial
    // stack pointer (stat's startstack). Set once by ProcessStack.Build.
    internal static unsafe class ProcessIdentity
    {
        public static ulong ArgumentsStart, ArgumentsEnd;
        public static ulong EnvironmentStart, EnvironmentEnd;
        public static ulong InitialStackPointer;

        /// <summary>
        /// Gives the main thread the comm execve gives it: the last component of argv[0]'s path, cut to 15
        /// bytes. Runs inside the UserAccess window in which ProcessStack.Build wrote the strings.
        /// </summary>
        public static void NameAfterExecutable(Thread main)
        {
            byte* path = (byte*)ArgumentsStart;
            int start = 0, end = 0;
            while (ArgumentsStart + (ulong)end < ArgumentsEnd && path[end] != 0)
            {
                if (path[end] == (byte)'/') start = end + 1;
                end++;
            }
            fixed (byte* name = main.Name.Bytes)
            {
                for (int i = 0; i < ThreadName.Capacity; i++) name[i] = 0;
                for (int i = 0; i < end - start && i < ThreadName.Capacity - 1; i++) name[i] = path[start + i];
            }
        }
    }
}
