using Kernel.Boot;

namespace Kernel.Memory
{
    // Owns the kernel's two allocators and decides which physical memory they may use: RAM from the
    // boot memory map, above the kernel image, below 4 GiB (what the boot page tables identity-map),
    // minus the pages the loader's own data (start info, command line, memory map) still occupies.
    internal static unsafe class KernelMemory
    {
        public const ulong IdentityMappedLimit = 4UL << 30;
        private const int MaxRanges = 16;

        private static PageAllocator s_pages;
        private static KernelHeap s_heap;
        private static ulong s_ramBytes;

        public static PageAllocator* Pages { get { fixed (PageAllocator* p = &s_pages) return p; } }
        public static KernelHeap* Heap { get { fixed (KernelHeap* h = &s_heap) return h; } }

        /// <summary>Total RAM the memory map reports (all of it, also what the kernel cannot use).</summary>
        public static ulong RamBytes => s_ramBytes;

        /// <summary>Null on success, else why memory could not be set up.</summary>
        public static string Initialize(PvhStartInfo* startInfo, BootInfo* bootInfo)
        {
            if (startInfo->Version < 1 || startInfo->MemoryMapEntries == 0)
                return "the loader gave no memory map (PVH start info version 0)";

            MemoryRange* usable = stackalloc MemoryRange[MaxRanges];
            int count = 0;
            PvhMemoryMapEntry* map = (PvhMemoryMapEntry*)startInfo->MemoryMapAddress;
            for (uint i = 0; i < startInfo->MemoryMapEntries; i++)
            {
                if (map[i].Type != PvhMemoryMapEntry.Ram) continue;
                s_ramBytes += map[i].Size;
                ulong start = Max(map[i].Address, bootInfo->ImageEnd);
                ulong end = Min(map[i].Address + map[i].Size, IdentityMappedLimit);
                if (end > start && count < MaxRanges) { usable[count].Start = start; usable[count].Length = end - start; count++; }
            }

            // The loader's data may sit above the image on some VMMs; keep it out of the allocator.
            count = Exclude(usable, count, (ulong)startInfo, (ulong)sizeof(PvhStartInfo));
            count = Exclude(usable, count, startInfo->MemoryMapAddress, startInfo->MemoryMapEntries * (ulong)sizeof(PvhMemoryMapEntry));
            if (startInfo->CommandLineAddress != 0)
                count = Exclude(usable, count, startInfo->CommandLineAddress, StringLength((byte*)startInfo->CommandLineAddress) + 1);
            if (count == 0) return "no usable RAM above the kernel image";

            s_pages.Initialize(usable, count);
            fixed (PageAllocator* pages = &s_pages) s_heap.Initialize(pages);
            return null;
        }

        public static void* AllocateZeroed(nuint size)
        {
            fixed (KernelHeap* heap = &s_heap) return heap->Allocate(size);
        }

        /// <summary>
        /// Gives an object's memory back. The kernel has no collector: the owner of an object frees it
        /// when it is done (docs/architecture.md, "Kernel memory").
        /// </summary>
        public static bool Free(object obj)
        {
            if (obj == null) return false;
            // The heap block starts at the 8-byte object header, just before the MethodTable pointer.
            byte* block = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.CompilerServices.Unsafe.As<object, byte>(ref obj));
            block = *(byte**)block - 8;
            fixed (KernelHeap* heap = &s_heap) return heap->Free(block);
        }

        private static int Exclude(MemoryRange* ranges, int count, ulong start, ulong length)
        {
            if (length == 0) return count;
            ulong end = start + length;
            for (int i = 0; i < count; i++)
            {
                ulong rs = ranges[i].Start, re = rs + ranges[i].Length;
                if (end <= rs || start >= re) continue;
                if (start > rs && end < re && count < MaxRanges)
                {
                    // Split: keep both sides.
                    ranges[count].Start = end; ranges[count].Length = re - end; count++;
                    ranges[i].Length = start - rs;
                }
                else if (start <= rs) { ulong newStart = Min(end, re); ranges[i].Start = newStart; ranges[i].Length = re - newStart; }
                else ranges[i].Length = start - rs;
            }
            return count;
        }

        private static ulong StringLength(byte* text)
        {
            ulong n = 0;
            while (text[n] != 0 && n < 65536) n++;
            return n;
        }

        private static ulong Max(ulong a, ulong b) => a > b ? a : b;
        private static ulong Min(ulong a, ulong b) => a < b ? a : b;
    }
}
