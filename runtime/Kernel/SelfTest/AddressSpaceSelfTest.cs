#if KERNEL_SELFTEST
using System.Runtime.CompilerServices;
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.SelfTest
{
    // The address space KernelAddressSpace built (MemoryLayout), checked from the inside: what must be mapped
    // is, with the right permissions, and nothing of the kernel is mapped in the user window. The fault
    // self-tests make the CPU prove the protections instead of the page tables: each must end in a report.
    internal static unsafe class AddressSpaceSelfTest
    {
        private const ulong PageSize = 4096;
        private static int s_checks, s_failures;

        public static void CheckLayout(BootInfo* boot)
        {
            ulong nx = PageTables.NoExecuteSupported ? PageTables.NoExecute : 0;
            Check("page 0 is not mapped", !Mapped(0));
            Check("the first MiB below the kernel image is not mapped", !Mapped(boot->ImageStart - PageSize));
            ulong text = boot->TextStart & ~(PageSize - 1);
            Check("kernel text is mapped read-only, supervisor", Leaf(text, PageTables.Present | PageTables.Writable | PageTables.User | nx) == PageTables.Present);
            ulong data = (boot->ImageEnd - 1) & ~(PageSize - 1);
            Check("kernel data is mapped writable, NX, supervisor", Leaf(data, PageTables.Present | PageTables.Writable | PageTables.User | nx) == (PageTables.Present | PageTables.Writable | nx));
            Check("the boot stack's guard page is not mapped", !Mapped(StackGuard.BootGuardPage));
            Check("the kernel image ends below the user window", boot->ImageEnd <= MemoryLayout.UserBase);

            // RAM right above the kernel image is the allocator's: reachable through the direct map only.
            ulong freeRam = (boot->ImageEnd + 2 * PageSize) & ~(PageSize - 1);
            Check("RAM above the kernel image has no identity mapping", !Mapped(freeRam));
            Check("the user window's first page is not mapped (no app)", boot->AppEnd != 0 || !Mapped(MemoryLayout.UserBase));
            Check("device memory (local APIC) has no identity mapping", !Mapped(0xFEE0_0000));

            ulong* root = PageTables.Table(Cpu.ReadCr3());
            ulong directMapEntry = root[(MemoryLayout.DirectMapBase >> 39) & 511];
            Check("the direct map is supervisor-only and NX", (directMapEntry & (PageTables.Present | PageTables.User | nx)) == (PageTables.Present | nx));
            ulong heapPage = KernelMemory.Pages->AllocateZeroedPages(1);
            Check("page-allocator pages are direct-map addresses", MemoryLayout.IsInDirectMap(heapPage));
            KernelMemory.Pages->FreePages(heapPage, 1);

            ulong stack = KernelStacks.Allocate();
            Check("a thread's kernel stack is mapped", Mapped(stack) && Mapped(stack + (Thread.KernelStackPages - 1) * PageSize));
            Check("the page below a thread's kernel stack is its guard", !Mapped(stack - PageSize) && StackGuard.Contains(stack - PageSize));
            KernelStacks.Free(stack);
            Check("a freed kernel stack is unmapped", !Mapped(stack));

            KernelConsole.Prefix();
            KernelConsole.Write("selftest memory-layout: ");
            KernelConsole.WriteDecimal((ulong)s_checks);
            KernelConsole.Write(" checks, ");
            KernelConsole.WriteDecimal((ulong)s_failures);
            KernelConsole.WriteLine(s_failures == 0 ? " failures (ok)" : " failures");
            KernelConsole.Prefix();
            KernelConsole.Write("selftest memory-layout: smep ");
            KernelConsole.Write(CpuProtection.Smep ? "on" : "off");
            KernelConsole.Write(", smap ");
            KernelConsole.Write(CpuProtection.Smap ? "on" : "off");
            KernelConsole.Write(", umip ");
            KernelConsole.WriteLine(CpuProtection.Umip ? "on" : "off");
            if (s_failures != 0) Machine.Exit(Machine.PanicExitStatus);
        }

        /// <summary>SMAP: a read of a user page outside a UserAccess window must fault.</summary>
        public static void ReadUserPageOutsideWindow()
        {
            ulong user = SelfTestUserPages.Map(KernelMemory.Pages->AllocateZeroedPages(1), 1);
            KernelConsole.WriteDecimal(ReadByte(user));
        }

        /// <summary>SMEP: a call into a user page from kernel mode must fault.</summary>
        public static void CallUserPage()
        {
            ulong page = KernelMemory.Pages->AllocateZeroedPages(1);
            *(byte*)page = 0xC3;   // ret
            ulong user = SelfTestUserPages.Map(page, 1, executable: true);
            ((delegate* unmanaged<void>)user)();
        }

        /// <summary>W^X: a write to the kernel's own text must fault.</summary>
        public static void WriteKernelText(BootInfo* boot) => WriteByte(boot->TextStart + 16, 0xCC);

        /// <summary>NX: a call into kernel data (a heap page) must fault.</summary>
        public static void CallKernelData()
        {
            ulong page = KernelMemory.Pages->AllocateZeroedPages(1);
            *(byte*)page = 0xC3;   // ret
            ((delegate* unmanaged<void>)page)();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static byte ReadByte(ulong address) => *(byte*)address;

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void WriteByte(ulong address, byte value) => *(byte*)address = value;

        private static bool Mapped(ulong address)
        {
            ulong* entry = PageTables.FindSmallPageEntry(address);
            return entry != null && (*entry & PageTables.Present) != 0;
        }

        // The leaf entry's bits selected by mask (0 when there is no 4 KiB mapping).
        private static ulong Leaf(ulong address, ulong mask)
        {
            ulong* entry = PageTables.FindSmallPageEntry(address);
            return entry == null ? 0 : *entry & mask;
        }

        private static void Check(string what, bool ok)
        {
            s_checks++;
            if (ok) return;
            s_failures++;
            KernelConsole.Prefix();
            KernelConsole.Write("selftest memory-layout: FAILED: ");
            KernelConsole.WriteLine(what);
        }
    }
}
#endif
