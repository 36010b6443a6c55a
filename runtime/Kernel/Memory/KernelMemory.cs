using Kernel.Boot;
using Kernel.Console;

namespace Kernel.Memory
{
    // Owns the kernel's two allocators and decides which physical memory they may use: RAM from the
    // boot memory map, above the kernel image and below 4 GiB (what the direct map covers), except what the
    // loader put there with the kernel (the app's segments, the symbol table, the image's files). The allocators deal in
    // direct-map addresses (MemoryLayout), so what they hand out is a usable kernel pointer; code that gives
    // an address to a device or a page table converts it with MemoryLayout.ToPhysical.
    // The loader's own data has been copied by LoaderData before, so its pages may be reused.
    internal static unsafe class KernelMemory
    {
        private const int MaxRanges = 16;

        private static PageAllocator s_pages;
        private static KernelHeap s_heap;
        private static ulong s_ramBytes;

        // Both allocators are shared by every CPU and protected by the kernel lock; with uk.debug.locks their
        // allocations and frees check it (their LockCheck): there, not here, because a check in every caller made
        // each call site save registers around it, checks off or on.
        public static PageAllocator* Pages { get { fixed (PageAllocator* p = &s_pages) return p; } }
        public static KernelHeap* Heap { get { fixed (KernelHeap* h = &s_heap) return h; } }

        /// <summary>uk.debug.locks: from here on every allocation and free asserts that this CPU holds the kernel lock.</summary>
        public static void CheckLockOnEveryAllocation()
        {
            s_pages.LockCheck = &AssertPagesLocked;
            s_heap.LockCheck = &AssertHeapLocked;
        }

        private static void AssertPagesLocked() => Threads.LockChecks.AssertHeld("the page allocator");
        private static void AssertHeapLocked() => Threads.LockChecks.AssertHeld("the kernel heap");

        /// <summary>Total RAM the memory map reports (all of it, also what the kernel cannot use).</summary>
        public static ulong RamBytes => s_ramBytes;

        /// <summary>The kernel's own segments, [ImageStart, ImageEnd).</summary>
        public static ulong KernelImageBytes { get; private set; }

        /// <summary>What the VMM loaded with the app: its segments, and the pages of uk_image_info, uk_ksyms and uk_files.</summary>
        public static ulong LoadedAppBytes { get; private set; }

        /// <summary>Null on success, else why memory could not be set up.</summary>
        public static string Initialize(PvhMemoryMapEntry* map, int entries, BootInfo* bootInfo)
        {
            MemoryRange* usable = stackalloc MemoryRange[MaxRanges];
            int count = 0;
            ulong ksymsStart = bootInfo->KsymsStart & ~(PageAllocator.PageSize - 1);
            // The image's files (uk_files) follow uk_ksyms in the same segment: one range keeps both.
            ulong loadedEnd = bootInfo->FilesEnd > bootInfo->FilesStart && bootInfo->FilesEnd > bootInfo->KsymsEnd
                ? bootInfo->FilesEnd : bootInfo->KsymsEnd;
            ulong ksymsEnd = (loadedEnd + PageAllocator.PageSize - 1) & ~(PageAllocator.PageSize - 1);
            for (int i = 0; i < entries; i++)
            {
                if (map[i].Type != PvhMemoryMapEntry.Ram) continue;
                s_ramBytes += map[i].Size;
                ulong start = Max(map[i].Address, bootInfo->ImageEnd);
                ulong end = Min(map[i].Address + map[i].Size, MemoryLayout.DirectMapSize);
                // The app's segments and the symbol table were loaded with the kernel: their RAM is not free.
                AddExcluding(usable, ref count, start, end, bootInfo->AppStart, bootInfo->AppEnd, ksymsStart, ksymsEnd);
            }

            KernelImageBytes = bootInfo->ImageEnd - bootInfo->ImageStart;
            LoadedAppBytes = (bootInfo->AppEnd - bootInfo->AppStart) + (ksymsEnd - ksymsStart);
            if (count == 0) return "no usable RAM above the kernel image";
            RequireInRam(map, entries, bootInfo->ImageStart, bootInfo->ImageEnd, "the kernel image");
            if (bootInfo->AppEnd != 0) RequireInRam(map, entries, bootInfo->AppStart, bootInfo->AppEnd, "the app's segments");
            if (ksymsEnd > ksymsStart) RequireInRam(map, entries, ksymsStart, ksymsEnd, "the function table and files (uk_ksyms, uk_files)");

            for (int i = 0; i < count; i++) usable[i].Start = MemoryLayout.ToDirectMap(usable[i].Start);
            s_pages.Initialize(usable, count);
            fixed (PageAllocator* pages = &s_pages) s_heap.Initialize(pages);
            return null;
        }

        // A VMM loads an image into whatever guest memory there is: with too little RAM the app's pages lie
        // beyond its end, and the app would start on memory that is not there. Say so, and how much is needed.
        // (No heap yet, so the report is written piece by piece.)
        private static void RequireInRam(PvhMemoryMapEntry* map, int entries, ulong start, ulong end, string what)
        {
            for (int i = 0; i < entries; i++)
            {
                if (map[i].Type == PvhMemoryMapEntry.Ram && map[i].Address <= start && end <= map[i].Address + map[i].Size) return;
            }
            Diagnostics.Panic.Begin();
            KernelConsole.Write(what);
            KernelConsole.Write(" [0x");
            KernelConsole.WriteHex(start);
            KernelConsole.Write(", 0x");
            KernelConsole.WriteHex(end);
            KernelConsole.Write(") lie beyond the machine's RAM (");
            KernelConsole.WriteDecimal(s_ramBytes >> 20);
            KernelConsole.Write(" MiB): give the guest more than ");
            KernelConsole.WriteDecimal((end + (1UL << 20) - 1) >> 20);
            KernelConsole.WriteLine(" MiB");
            Arch.Machine.Exit(Arch.Machine.PanicExitStatus);
        }

        // Not inlined: inlined, its pinned local widened the frame of every caller (TextBuilder.Reserve: ~4 per call).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public static void* AllocateZeroed(nuint size)
        {
            fixed (KernelHeap* heap = &s_heap) return heap->Allocate(size);
        }

        /// <summary>Gives back a block from AllocateZeroed.</summary>
        public static bool FreeBlock(void* block)
        {
            fixed (KernelHeap* heap = &s_heap) return heap->Free(block);
        }

        /// <summary>
        /// Gives an object's memory back. The kernel has no collector: the owner of an object frees it
        /// when it is done (docs/architecture.md, "Kernel memory"). Why none: deterministic latency in
        /// interrupt and packet paths, no write barriers, no stack maps to keep exact in hand-written entry
        /// code, and a kernel small enough that ownership is clear.
        /// </summary>
        public static bool Free(object obj)
        {
            if (obj == null) return false;
            // The heap block starts at the 8-byte object header, just before the MethodTable pointer.
            byte* block = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.CompilerServices.Unsafe.As<object, byte>(ref obj));
            block = *(byte**)block - 8;
            fixed (KernelHeap* heap = &s_heap) return heap->Free(block);
        }

        // Adds [start, end) minus two holes (either may be empty or outside).
        private static void AddExcluding(MemoryRange* usable, ref int count, ulong start, ulong end,
                                         ulong holeStart, ulong holeEnd, ulong hole2Start, ulong hole2End)
        {
            if (hole2Start < holeStart) { ulong s = holeStart, e = holeEnd; holeStart = hole2Start; holeEnd = hole2End; hole2Start = s; hole2End = e; }
            if (holeEnd > holeStart && start < holeEnd && end > holeStart)
            {
                if (start < holeStart) Add(usable, ref count, start, holeStart);
                start = Max(start, holeEnd);
            }
            if (hole2End > hole2Start && start < hole2End && end > hole2Start)
            {
                if (start < hole2Start) Add(usable, ref count, start, hole2Start);
                start = Max(start, hole2End);
            }
            Add(usable, ref count, start, end);
        }

        private static void Add(MemoryRange* usable, ref int count, ulong start, ulong end)
        {
            if (end <= start || count >= MaxRanges) return;
            usable[count].Start = start;
            usable[count].Length = end - start;
            count++;
        }

        private static ulong Max(ulong a, ulong b) => a > b ? a : b;
        private static ulong Min(ulong a, ulong b) => a < b ? a : b;
    }
}
