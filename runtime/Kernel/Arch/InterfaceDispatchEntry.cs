using System.Runtime.InteropServices;
using Internal.Runtime;
using Kernel.Console;
using Kernel.Diagnostics;

namespace Kernel.Arch
{
    // The boot stub's RhpInitialDynamicInterfaceDispatch calls here for every interface call, with the
    // call's `this`, its dispatch cell and its return address, and jumps to the code returned (the
    // argument registers are saved and restored around this call). The core library's resolver does
    // the work; a call it cannot resolve is a kernel bug and panics naming the call site.
    internal static unsafe class InterfaceDispatchEntry
    {
        [UnmanagedCallersOnly(EntryPoint = "uk_interface_dispatch")]
        private static void* Dispatch(void* obj, void* cell, ulong callSite)
        {
            string failure;
            void* target = InterfaceDispatch.Resolve(obj, cell, out failure);
            if (target != null) return target;

            Panic.Begin();
            KernelConsole.Write("unresolvable interface call at ");
            StackTrace.WriteLocation(callSite);
            KernelConsole.WriteLine();
            KernelConsole.Prefix();
            KernelConsole.Write("  ");
            KernelConsole.WriteLine(failure != null ? failure : "no implementation found");
            void* interfaceType;
            int slot;
            if (InterfaceDispatch.DescribeCell(cell, out interfaceType, out slot))
            {
                KernelConsole.Prefix();
                KernelConsole.Write("  interface type ");
                KernelConsole.WriteHex((ulong)interfaceType, 16);
                KernelConsole.Write(" slot ");
                KernelConsole.WriteDecimal((ulong)slot);
                if (obj != null)
                {
                    KernelConsole.Write(", object type ");
                    KernelConsole.WriteHex(*(ulong*)obj, 16);
                }
                KernelConsole.WriteLine();
            }
            StackTrace.WriteCurrent();
            Machine.Exit(Machine.PanicExitStatus);
            return null;
        }
    }
}
