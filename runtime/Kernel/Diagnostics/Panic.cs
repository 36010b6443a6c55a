using System.Runtime.InteropServices;
using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Diagnostics
{
    // The one way the kernel stops on an error: a "uk: panic: ..." line, the details, a stack trace,
    // and power-off with Machine.PanicExitStatus.
    internal static unsafe class Panic
    {
        private static bool s_panicking;

        /// <summary>Starts a panic report; a panic inside a panic stops at once.</summary>
        public static void Begin()
        {
            if (s_panicking)
            {
                KernelConsole.WriteLine();
                KernelConsole.Prefix();
                KernelConsole.WriteLine("panic while reporting a panic");
                Machine.Exit(Machine.PanicExitStatus);
            }
            s_panicking = true;
            KernelConsole.WriteLine();
            KernelConsole.Prefix();
            KernelConsole.Write("panic: ");
        }

        /// <summary>Also the core library's fail-fast hook (allocation failure, unsupported runtime feature).</summary>
        public static void Fail(string reason)
        {
            Begin();
            KernelConsole.WriteLine(reason);
            StackTrace.WriteCurrent();
            Machine.Exit(Machine.PanicExitStatus);
        }

        // `throw` in kernel code: there is no exception unwinding in the kernel, so every throw is a
        // panic that names the exception's message and the code that threw it.
        [UnmanagedCallersOnly(EntryPoint = "uk_kernel_throw")]
        private static void Throw(void* exception, ulong throwSite)
        {
            Begin();
            KernelConsole.Write("unhandled exception in the kernel: ");
            System.Exception e = System.Runtime.CompilerServices.Unsafe.As<System.Exception>(
                System.Runtime.CompilerServices.Unsafe.AsRef<object>(&exception));
            KernelConsole.WriteLine(e != null ? e.Message : "(null exception object)");
            KernelConsole.Prefix();
            KernelConsole.Write("  thrown at ");
            StackTrace.WriteLocation(throwSite);
            KernelConsole.WriteLine();
            StackTrace.WriteCurrent();
            Machine.Exit(Machine.PanicExitStatus);
        }

        [UnmanagedCallersOnly(EntryPoint = "uk_kernel_failfast")]
        private static void FailFast(ulong site)
        {
            Begin();
            KernelConsole.Write("runtime fail-fast at ");
            StackTrace.WriteLocation(site);
            KernelConsole.WriteLine();
            StackTrace.WriteCurrent();
            Machine.Exit(Machine.PanicExitStatus);
        }
    }
}
