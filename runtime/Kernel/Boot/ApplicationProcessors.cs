using System.Runtime.InteropServices;
using Kernel.Arch;
using Kernel.Console;
using Kernel.Devices.Acpi;
using Kernel.Memory;
using Kernel.Time;

namespace Kernel.Boot
{
    // Brings up the application processors (APs), one at a time, from the boot processor (BSP). The MADT lists the
    // enabled processors' local APIC IDs (no MADT, e.g. microvm without ACPI: one CPU, said in one boot line). For
    // each AP the BSP prepares what the AP cannot make for itself -- a kernel stack behind a guard page, a GDT of
    // its own with its own TSS and IST stacks (double fault, NMI, machine check, as the BSP's), the parameters the
    // trampoline reads (the BSP's CR0, CR3, CR4, EFER, XCR0, the shared IDT) -- then sends INIT, INIT de-assert and
    // two start-up IPIs (Intel SDM vol. 3, 8.4.4.1; MultiProcessor Specification B.4) and waits for the AP to check
    // in. The trampoline (boot/ApTrampoline.cs, docs/boot-abi.md) runs from a free page below 1 MiB that the
    // memory map calls RAM and no loader data occupies; it is identity mapped (supervisor) only while APs start.
    // The AP then runs ApMain: per-CPU data (PerCpu), the syscall MSRs, its local APIC, and on to the scheduler.
    // With one CPU nothing here runs beyond the MADT check.
    internal static unsafe class ApplicationProcessors
    {
        private const ulong PageSize = 4096;
        private const ulong LowMemoryEnd = 0xA0000;   // the legacy video and ROM area starts here
        private const ulong EferMsr = 0xC000_0080, StarMsr = 0xC000_0081, LstarMsr = 0xC000_0082, FmaskMsr = 0xC000_0084;
        private const ulong KernelGsBaseMsr = 0xC000_0102;
        private const ulong EferLongModeActive = 1UL << 10;
        private const uint HypervisorPresentBit = 1u << 31;   // CPUID.1:ECX
        private const int GdtEntries = 7, TssDescriptorSlot = 5, TssSize = 104, TssIoMapBase = 102;
        private const int TssRsp0 = 4, TssIst1 = 36;
        private const int IstStacks = 3;
        private const ulong IstStackPages = 4;   // 16 KiB, as the BSP's
        private const byte TssAccess = 0x89;     // available 64-bit TSS, present, DPL 0
        // INIT settles for 10 ms on real hardware (MP specification B.4); a virtual CPU needs no settling, so under
        // a hypervisor the wait is 100 us. 200 us between the start-up IPIs, as the specification's example.
        private const ulong InitDelayNanoseconds = 10_000_000, VirtualInitDelayNanoseconds = 100_000;
        private const ulong StartupDelayNanoseconds = 200_000;
        /// <summary>
        /// How long an AP may take from its first start-up IPI to ApMain. Linux allows 10 s too: a TCG vCPU thread on an
        /// oversubscribed host (CI runs several multi-vCPU guests on two cores) can wait seconds for a host core.
        /// </summary>
        private const ulong ArrivalTimeoutNanoseconds = 10_000_000_000;
        // Who decides about the AP being started: it claims its start on arrival, the BSP abandons it at the deadline;
        // whichever compare-exchange wins, so an AP arriving as the deadline passes is neither reset while online nor
        // left running on the next AP's parameters.
        // An AP that claimed its start but cannot set up its per-CPU block (out of memory) says so in s_failed, halts,
        // and is reported at once rather than at the deadline.
        private const int StartPending = 0, StartClaimed = 1, StartAbandoned = 2;

        [DllImport("*", EntryPoint = "uk_ap_trampoline"), SuppressGCTransition] private static extern void TrampolineInfo(ulong* info);
        [DllImport("*", EntryPoint = "uk_store_idt_pointer"), SuppressGCTransition] private static extern void StoreIdtPointer(byte* pointer);

        private static volatile int s_arrived;
        private static volatile int s_failed;
        private static int s_startState;
        private static uint s_startingApicId;
        private static ulong s_star, s_lstar, s_fmask;
        private static ulong s_apGdt, s_apTss;

        /// <summary>Starts every enabled AP the MADT lists (<paramref name="madt"/> null: no ACPI) and reports it.</summary>
        public static void Start(BootInfo* boot, Madt madt)
        {
            if (madt == null)
            {
                KernelConsole.Prefix();
                KernelConsole.WriteLine("smp: 1 CPU (no ACPI MADT lists the others)");
                return;
            }
            if (madt.EnabledCount <= 1) return;
            string problem = Prepare(boot, out ulong page);
            if (problem != null)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("smp: 1 CPU of ");
                KernelConsole.WriteDecimal((ulong)madt.EnabledCount);
                KernelConsole.Write(": ");
                KernelConsole.WriteLine(problem);
                return;
            }
            ulong started = Cpu.ReadTimeStampCounter();
            uint bsp = LocalApic.Id;
            string failure = null;
            for (int i = 0; i < madt.EnabledCount && failure == null; i++)
            {
                uint apicId = madt.EnabledApicIds[i];
                if (apicId == bsp) continue;
                if (PerCpu.Count == PerCpu.MaxCpus) break;
                failure = StartOne(page, PerCpu.Count, apicId);
            }
            ulong elapsed = Clock.TscTicksToNanoseconds(Cpu.ReadTimeStampCounter() - started);
            *PageTables.FindSmallPageEntry(page) = 0;
            TlbShootdown.Flush(page, PageSize);
            Report(madt, elapsed, failure);
        }

        // The trampoline page mapped, the image copied, the BSP's state that every AP shares written.
        private static string Prepare(BootInfo* boot, out ulong page)
        {
            page = 0;
            if (!LocalApic.IsEnabled) return "no local APIC";
            // The APs' periodic timer runs at the BSP's calibrated rate: finish the measurement here, on the BSP.
            if (LocalApic.TimerFrequency == 0) return "the local APIC timer does not count";
            ulong cr3 = Cpu.ReadCr3();
            if (cr3 >= 1UL << 32) return "the page tables lie above 4 GiB, out of the trampoline's reach";
            page = FindLowPage();
            if (page == 0) return "no free page below 1 MiB for the trampoline";
            ulong* entry = PageTables.FindSmallPageEntry(page);
            if (entry == null) return "the first 2 MiB are not mapped with 4 KiB pages";
            *entry = page | PageTables.Present | PageTables.Writable;   // supervisor, executable
            Cpu.InvalidatePage(page);

            ulong* info = stackalloc ulong[3];
            TrampolineInfo(info);
            byte* image = (byte*)info[0];
            byte* low = (byte*)MemoryLayout.ToDirectMap(page);
            for (ulong i = 0; i < info[1]; i++) low[i] = image[i];
            var parameters = (ApTrampolineParameters*)(low + ApTrampolineParameters.DataOffset);
            parameters->Cr3 = cr3;
            parameters->Cr4 = Cpu.ReadCr4();
            parameters->Cr0 = Cpu.ReadCr0();
            parameters->Efer = Cpu.ReadMsr((uint)EferMsr) & ~EferLongModeActive;
            parameters->Xcr0 = boot->Xcr0;
            StoreIdtPointer((byte*)&parameters->FinalIdtPointer);
            parameters->LongModeEntry = info[2];
            s_star = Cpu.ReadMsr((uint)StarMsr);
            s_lstar = Cpu.ReadMsr((uint)LstarMsr);
            s_fmask = Cpu.ReadMsr((uint)FmaskMsr);
            return null;
        }

        // One AP: its tables and stacks, INIT-SIPI-SIPI, then wait until ApMain says it is online. Null on success.
        private static string StartOne(ulong page, int index, uint apicId)
        {
            ulong stackBottom = Threads.KernelStacks.Allocate();
            ulong gdt = (ulong)KernelMemory.AllocateZeroed(GdtEntries * 8);
            ulong tss = (ulong)KernelMemory.AllocateZeroed(TssSize);
            if (stackBottom == 0 || gdt == 0 || tss == 0) return "out of memory";
            for (int ist = 0; ist < IstStacks; ist++)
            {
                ulong stack = KernelMemory.Pages->AllocateZeroedPages(IstStackPages);
                if (stack == 0) return "out of memory";
                *(ulong*)(tss + TssIst1 + (ulong)ist * 8) = stack + IstStackPages * PageSize;
            }
            ulong stackTop = stackBottom + Threads.Thread.KernelStackPages * PageSize;
            *(ulong*)(tss + TssRsp0) = stackTop;
            *(ushort*)(tss + TssIoMapBase) = TssSize;   // no I/O permission bitmap
            ulong* bspGdt = (ulong*)PerCpu.BootGdtAddress();
            ulong* table = (ulong*)gdt;
            for (int i = 0; i < TssDescriptorSlot; i++) table[i] = bspGdt[i];
            const ulong limit = TssSize - 1;
            table[TssDescriptorSlot] = (limit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | ((ulong)TssAccess << 40)
                                     | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
            table[TssDescriptorSlot + 1] = tss >> 32;

            var parameters = (ApTrampolineParameters*)(MemoryLayout.ToDirectMap(page) + ApTrampolineParameters.DataOffset);
            parameters->FinalGdtPointer = GdtEntries * 8 - 1;
            parameters->FinalGdtBase = gdt;
            parameters->StackTop = stackTop;
            parameters->Argument = (ulong)index;
            s_startingApicId = apicId;
            s_apGdt = gdt;
            s_apTss = tss;
            s_arrived = -1;
            s_failed = -1;
            s_startState = StartPending;

            LocalApic.SendCommand(apicId, LocalApic.DeliveryInit | LocalApic.LevelAssert | LocalApic.LevelTriggered);
            Clock.BusyWait(UnderHypervisor() ? VirtualInitDelayNanoseconds : InitDelayNanoseconds);
            LocalApic.SendCommand(apicId, LocalApic.DeliveryInit | LocalApic.LevelTriggered);
            uint startup = LocalApic.DeliveryStartup | (uint)(page >> 12);
            LocalApic.SendCommand(apicId, startup);
            Clock.BusyWait(StartupDelayNanoseconds);
            if (s_arrived != index) LocalApic.SendCommand(apicId, startup);   // ignored by a CPU already running
            ulong deadline = Cpu.ReadTimeStampCounter() + Clock.NanosecondsToTscTicks(ArrivalTimeoutNanoseconds);
            while (s_arrived != index)
            {
                if (s_failed == index)
                {
                    SendInit(apicId);
                    return "could not set up its per-CPU data";
                }
                if (Cpu.ReadTimeStampCounter() > deadline && Abandon())
                {
                    // Back to waiting for a start-up IPI, so that a late start cannot run on parameters meant for the next.
                    SendInit(apicId);
                    return "did not come up";
                }
                Cpu.Pause();
            }
            return null;
        }

        private static void SendInit(uint apicId)
        {
            LocalApic.SendCommand(apicId, LocalApic.DeliveryInit | LocalApic.LevelAssert | LocalApic.LevelTriggered);
            LocalApic.SendCommand(apicId, LocalApic.DeliveryInit | LocalApic.LevelTriggered);
        }

        // True if the AP had not claimed its start yet (it now never will); false if it has and is on its way online.
        private static bool Abandon()
        {
            fixed (int* state = &s_startState) return Atomic.CompareExchange(state, StartPending, StartAbandoned) == StartPending;
        }

        private static bool Claim()
        {
            fixed (int* state = &s_startState) return Atomic.CompareExchange(state, StartPending, StartClaimed) == StartPending;
        }

        /// <summary>
        /// An AP's first C#, from the trampoline's long-mode part: its own GDT, TSS, stack and the shared IDT are
        /// loaded, CR0/CR3/CR4/EFER/XCR0 equal the BSP's, interrupts are off. Never returns.
        /// </summary>
        [UnmanagedCallersOnly(EntryPoint = "uk_ap_main")]
        private static void ApMain(ulong argument)
        {
            int index = (int)argument;
            if (!Claim()) Cpu.HaltForever();   // too late: the BSP reported it and is sending INIT
            if (!PerCpu.InitializeThisCpu(index, s_startingApicId, s_apTss, s_apGdt))
            {
                s_failed = index;
                Cpu.HaltForever();
            }
            Cpu.WriteMsr((uint)KernelGsBaseMsr, 0);
            Cpu.WriteMsr((uint)StarMsr, s_star);
            Cpu.WriteMsr((uint)LstarMsr, s_lstar);
            Cpu.WriteMsr((uint)FmaskMsr, s_fmask);
            if (CpuProtection.Smap) Cpu.ClearAlignmentCheck();
            LocalApic.InitializeApplicationProcessor();
            TlbShootdown.CatchUp(index);
            PerCpu.MarkOnline(index);
            s_arrived = index;
            // Its own tick (preemption, deadlines); then the scheduler: it waits for the kernel lock, which the boot
            // CPU holds until the app starts, answering TLB shootdowns meanwhile, and runs threads or idles.
            LocalApic.StartPeriodicTimer(Threads.Scheduler.TickNanoseconds, InterruptVectors.Timer);
            Threads.Scheduler.RunApplicationProcessor();
        }

        // The highest page below the EBDA (and below 640 KiB) that the memory map calls RAM and that holds none of
        // the loader's data; 0 if there is none. Page 0 (the real-mode interrupt table and BIOS data) is never used.
        private static ulong FindLowPage()
        {
            ulong top = LowMemoryEnd;
            if (LoaderData.EbdaAddress >= PageSize && LoaderData.EbdaAddress < top) top = LoaderData.EbdaAddress & ~(PageSize - 1);
            for (ulong page = top - PageSize; page >= PageSize; page -= PageSize)
            {
                if (!IsRam(page)) continue;
                if (Overlaps(page, LoaderData.OriginalStartInfo) || Overlaps(page, LoaderData.OriginalMemoryMap)
                    || Overlaps(page, LoaderData.OriginalCommandLine)) continue;
                ulong rsdp = LoaderData.StartInfo->RsdpAddress;
                if (rsdp != 0 && rsdp + 36 > page && rsdp < page + PageSize) continue;
                return page;
            }
            return 0;
        }

        private static bool IsRam(ulong page)
        {
            for (int i = 0; i < LoaderData.MemoryMapEntries; i++)
            {
                PvhMemoryMapEntry entry = LoaderData.MemoryMap[i];
                if (entry.Type == PvhMemoryMapEntry.Ram && entry.Address <= page && entry.Address + entry.Size >= page + PageSize) return true;
            }
            return false;
        }

        private static bool Overlaps(ulong page, MemoryRange range)
            => range.Length != 0 && range.Start < page + PageSize && range.Start + range.Length > page;

        private static bool UnderHypervisor()
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(1, 0, r);
            return (r[2] & HypervisorPresentBit) != 0;
        }

        // "smp: 4 CPUs (APIC ids 0,1,2,3), 3 started in 812 us"
        private static void Report(Madt madt, ulong elapsedNanoseconds, string failure)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("smp: ");
            KernelConsole.WriteDecimal((ulong)PerCpu.Count);
            KernelConsole.Write(" CPUs (APIC ids ");
            for (int i = 0; i < PerCpu.Count; i++)
            {
                if (i > 0) KernelConsole.Write(',');
                KernelConsole.WriteDecimal(PerCpu.ApicIdOf(i));
            }
            KernelConsole.Write("), ");
            KernelConsole.WriteDecimal((ulong)(PerCpu.Count - 1));
            KernelConsole.Write(" started in ");
            KernelConsole.WriteDecimal(elapsedNanoseconds / 1000);
            KernelConsole.Write(" us");
            if (failure != null)
            {
                KernelConsole.Write("; APIC id ");
                KernelConsole.WriteDecimal(s_startingApicId);
                KernelConsole.Write(' ');
                KernelConsole.Write(failure);
                KernelConsole.Write(", the rest not tried");
            }
            else if (madt.EnabledCount > PerCpu.Count)
            {
                KernelConsole.Write("; ");
                KernelConsole.WriteDecimal((ulong)(madt.EnabledCount - PerCpu.Count));
                KernelConsole.Write(" beyond the kernel's limit");
            }
            KernelConsole.WriteLine();
        }
    }
}
