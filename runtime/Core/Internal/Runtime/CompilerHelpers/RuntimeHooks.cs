namespace Internal.Runtime.CompilerHelpers
{
    // The core library's only dependencies on the kernel. The kernel installs them first thing at boot;
    // until then an allocation is a fatal error (reported by the boot stub's fail-fast path).
    public static unsafe class RuntimeHooks
    {
        /// <summary>Returns zeroed, 16-byte aligned memory of at least the given size, or null.</summary>
        public static delegate*<nuint, void*> AllocateZeroed;

        /// <summary>Stops the kernel with a reason; never returns.</summary>
        public static delegate*<string, void> FailFast;

        internal static void Fail(string reason)
        {
            if (FailFast != null) FailFast(reason);
            while (true) { }
        }
    }
}
