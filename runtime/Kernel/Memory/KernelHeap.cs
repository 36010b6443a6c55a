namespace Kernel.Memory
{
    // The memory behind `new` and explicit kernel allocations. There is no tracing garbage collector:
    // blocks come back through Free, or live in pools their subsystem recycles.
    //
    // Small requests (up to LargestSmallSize bytes) are served from slabs: one page each, a 64-byte
    // SlabHeader at the start, then equal blocks of one size class. The header's bitmap of used blocks
    // is the free list: finding a free block scans at most four words, and the same bits catch double
    // frees, which a free list threaded through the freed blocks could not do without trusting memory
    // the caller may have scribbled on after freeing. Slabs of a class that still have a free block are
    // on a doubly linked list (so a slab can leave it from the middle when it fills up or empties);
    // full slabs are on no list and are found again through their page header.
    //
    // Size classes are multiples of 16 (so every block is 16-byte aligned) picked to waste little of
    // the 4032 bytes a page has after its header: 16..128 in steps of 16 (without 144), then 160, 192,
    // 224, 256, 288, 336, 400, 448, 576, 672, 800, 1008, 1344 and 2016 (two per page).
    //
    // Larger requests take whole pages straight from the page allocator, behind a 16-byte LargeHeader
    // at the start of the first page; the block starts right after it.
    //
    // Every pointer handed out therefore has its header at (p & ~0xFFF). Free and UsableSize first ask
    // the page allocator whether that page is allocated at all (so a foreign pointer is never followed
    // into unmanaged memory), then check the magic, the kind and the block's position.
    //
    // Free policy: when a slab empties, its class keeps it as a spare if it has none (so a class that
    // hovers around one slab does not take and return a page on every other call); otherwise the page
    // goes back to the page allocator at once. Trim returns the spares too.
    //
    // Zeroing happens on allocation, so a block is zero even if someone wrote to it after freeing it.
    //
    // Error policy: an invalid Free (double free, foreign or interior pointer) changes nothing, counts
    // in Statistics.InvalidFrees and returns false. Free(null) is a harmless no-op that returns false.
    //
    // Not reentrant: one CPU, and no use from interrupt handlers while the main flow may be inside.
    internal unsafe struct KernelHeap
    {
        public const ulong LargestSmallSize = 2016;
        public const int ClassCount = 22;
        public const ulong SlabHeaderSize = 64;
        public const ulong LargeHeaderSize = 16;

        private const uint HeapMagic = 0x5041454B; // "KEAP"
        private const ushort KindSlab = 1;
        private const ushort KindLarge = 2;
        private const ulong PageSize = PageAllocator.PageSize;
        private const ulong PageMask = ~(PageAllocator.PageSize - 1);
        private const int BlocksPerSlabLimit = 256;
        // Entry n is the class for sizes (n-1)*16+1 .. n*16.
        private const int SizeLookupEntries = (int)(LargestSmallSize / 16) + 1;

        private PageAllocator* _pages;
        /// <summary>Called before every allocation and free when set (the kernel's uk.debug.locks: Threads/LockChecks);
        /// null otherwise, and on the host, where no lock exists.</summary>
        public delegate*<void> LockCheck;
        private fixed uint _classSize[ClassCount];
        private fixed ushort _classCapacity[ClassCount];
        private fixed byte _classBySixteenths[SizeLookupEntries];
        // SlabHeader* values: heads of the lists of slabs with a free block, and each class's spare.
        private fixed ulong _availableSlabs[ClassCount];
        private fixed ulong _spareSlab[ClassCount];

        public HeapStatistics Statistics;

        // The number a leak check compares before and after; the rest is in Statistics.
        public ulong LiveAllocations => Statistics.LiveAllocations;

        private struct SlabHeader
        {
            public uint Magic;
            public ushort Kind;
            public ushort ClassIndex;
            public uint BlockSize;
            public ushort Capacity;
            public ushort UsedCount;
            public SlabHeader* Next;
            public SlabHeader* Previous;
            // Bit i set = block i in use. Bits from Capacity up are set for good, so a scan never picks
            // a block that does not exist.
            public fixed ulong UsedBlocks[BlocksPerSlabLimit / 64];
        }

        // Magic and Kind sit where they do in SlabHeader, so one check tells the two apart.
        private struct LargeHeader
        {
            public uint Magic;
            public ushort Kind;
            public ulong PageCount;
        }

        public void Initialize(PageAllocator* pages)
        {
            _pages = pages;
            Statistics = default;
            for (int c = 0; c < ClassCount; c++)
            {
                uint size = SizeOfClass(c);
                _classSize[c] = size;
                _classCapacity[c] = (ushort)((PageSize - SlabHeaderSize) / size);
                _availableSlabs[c] = 0;
                _spareSlab[c] = 0;
            }
            int cls = 0;
            _classBySixteenths[0] = 0;
            for (int n = 1; n < SizeLookupEntries; n++)
            {
                while (_classSize[cls] < (uint)(n * 16)) cls++;
                _classBySixteenths[n] = (byte)cls;
            }
        }

        // Zeroed, 16-byte aligned memory of at least `size` bytes, or null when memory has run out.
        // A zero-byte request gets the smallest block, so that every allocation is distinct.
        public void* Allocate(ulong size)
        {
            if (_pages == null) return null;
            // The lock check as a tail call, so that the unchecked path keeps its shape.
            if (LockCheck != null) return AllocateChecked(size);
            if (size <= LargestSmallSize) return AllocateSmall(_classBySixteenths[(int)((size + 15) >> 4)]);
            return AllocateLarge(size);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private void* AllocateChecked(ulong size)
        {
            LockCheck();
            if (size <= LargestSmallSize) return AllocateSmall(_classBySixteenths[(int)((size + 15) >> 4)]);
            return AllocateLarge(size);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]   // as small as Allocate: inlined, it widened its callers' frames
        public bool Free(void* p)
        {
            if (p == null) return false;
            if (LockCheck != null) return FreeChecked(p);
            return FreeUnchecked(p);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private bool FreeChecked(void* p)
        {
            LockCheck();
            return FreeUnchecked(p);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private bool FreeUnchecked(void* p)
        {
            ulong address = (ulong)p;
            ulong page = HeaderPageOf(address);
            if (page == 0) return Refuse();
            ushort kind = ((SlabHeader*)page)->Kind;
            if (kind == KindSlab) return FreeSmall((SlabHeader*)page, address);
            return FreeLarge((LargeHeader*)page, address);
        }

        // How many bytes the block at `p` really has (at least what was asked for); 0 if `p` is not a
        // live block of this heap.
        public ulong UsableSize(void* p)
        {
            if (p == null) return 0;
            ulong address = (ulong)p;
            ulong page = HeaderPageOf(address);
            if (page == 0) return 0;
            if (((SlabHeader*)page)->Kind == KindSlab)
            {
                SlabHeader* slab = (SlabHeader*)page;
                return IsLiveBlock(slab, BlockIndexOf(slab, address)) ? slab->BlockSize : 0;
            }
            LargeHeader* large = (LargeHeader*)page;
            return address == page + LargeHeaderSize ? LargeUsableSize(large->PageCount) : 0;
        }

        // Hands the spare slabs back to the page allocator.
        public void Trim()
        {
            for (int c = 0; c < ClassCount; c++)
            {
                SlabHeader* spare = (SlabHeader*)_spareSlab[c];
                if (spare == null) continue;
                _spareSlab[c] = 0;
                ReleaseSlab(spare);
            }
        }

        public static ulong SizeOfClassIndex(int index) => index >= 0 && index < ClassCount ? SizeOfClass(index) : 0;

        private void* AllocateSmall(int cls)
        {
            SlabHeader* slab = (SlabHeader*)_availableSlabs[cls];
            if (slab == null)
            {
                slab = (SlabHeader*)_spareSlab[cls];
                if (slab != null) _spareSlab[cls] = 0;
                else slab = NewSlab(cls);
                if (slab == null)
                {
                    Statistics.FailedAllocations++;
                    return null;
                }
                PushAvailable(cls, slab);
            }

            int index = 0;
            for (int w = 0; w < BlocksPerSlabLimit / 64; w++)
            {
                ulong free = ~slab->UsedBlocks[w];
                if (free == 0) continue;
                index = w * 64 + PageAllocator.TrailingZeroCount(free);
                slab->UsedBlocks[w] |= 1UL << (index & 63);
                break;
            }
            slab->UsedCount++;
            if (slab->UsedCount == slab->Capacity) Unlink(cls, slab);

            byte* block = (byte*)slab + SlabHeaderSize + (ulong)index * slab->BlockSize;
            PageAllocator.ZeroMemory(block, slab->BlockSize);
            Statistics.BytesInUse += slab->BlockSize;
            Statistics.LiveAllocations++;
            Statistics.TotalAllocations++;
            return block;
        }

        private void* AllocateLarge(ulong size)
        {
            if (size > ~0UL - LargeHeaderSize - PageSize)
            {
                Statistics.FailedAllocations++;
                return null;
            }
            ulong pageCount = (size + LargeHeaderSize + PageSize - 1) / PageSize;
            ulong address = _pages->AllocatePages(pageCount);
            if (address == 0)
            {
                Statistics.FailedAllocations++;
                return null;
            }
            PageAllocator.ZeroMemory((void*)address, pageCount * PageSize);
            LargeHeader* header = (LargeHeader*)address;
            header->Magic = HeapMagic;
            header->Kind = KindLarge;
            header->PageCount = pageCount;

            Statistics.LargePages += pageCount;
            Statistics.BytesInUse += LargeUsableSize(pageCount);
            Statistics.LiveAllocations++;
            Statistics.TotalAllocations++;
            return (void*)(address + LargeHeaderSize);
        }

        private bool FreeSmall(SlabHeader* slab, ulong address)
        {
            int index = BlockIndexOf(slab, address);
            if (!IsLiveBlock(slab, index)) return Refuse();

            slab->UsedBlocks[index >> 6] &= ~(1UL << (index & 63));
            bool wasFull = slab->UsedCount == slab->Capacity;
            slab->UsedCount--;
            Statistics.BytesInUse -= slab->BlockSize;
            Statistics.LiveAllocations--;
            Statistics.TotalFrees++;

            int cls = slab->ClassIndex;
            if (slab->UsedCount == 0)
            {
                if (!wasFull) Unlink(cls, slab);
                if (_spareSlab[cls] == 0) _spareSlab[cls] = (ulong)slab;
                else ReleaseSlab(slab);
            }
            else if (wasFull)
            {
                PushAvailable(cls, slab);
            }
            return true;
        }

        private bool FreeLarge(LargeHeader* header, ulong address)
        {
            if (address != (ulong)header + LargeHeaderSize) return Refuse();
            ulong pageCount = header->PageCount;
            // Cleared first, so a later Free of the same pointer cannot mistake the freed pages for a
            // live block, even before they are reused.
            header->Magic = 0;
            if (!_pages->FreePages((ulong)header, pageCount))
            {
                header->Magic = HeapMagic;
                return Refuse();
            }
            Statistics.LargePages -= pageCount;
            Statistics.BytesInUse -= LargeUsableSize(pageCount);
            Statistics.LiveAllocations--;
            Statistics.TotalFrees++;
            return true;
        }

        // The page address holding the header for `address`, or 0 when that page is not a live heap
        // page. The page allocator is asked first, so nothing is read from memory nobody owns.
        private ulong HeaderPageOf(ulong address)
        {
            if (_pages == null) return 0;
            ulong page = address & PageMask;
            if (!_pages->IsAllocated(page)) return 0;
            SlabHeader* header = (SlabHeader*)page;
            if (header->Magic != HeapMagic) return 0;
            if (header->Kind != KindSlab && header->Kind != KindLarge) return 0;
            return page;
        }

        // Index of the block starting exactly at `address`, or -1.
        private static int BlockIndexOf(SlabHeader* slab, ulong address)
        {
            ulong first = (ulong)slab + SlabHeaderSize;
            if (address < first) return -1;
            ulong offset = address - first;
            ulong index = offset / slab->BlockSize;
            if (index * slab->BlockSize != offset || index >= slab->Capacity) return -1;
            return (int)index;
        }

        private static bool IsLiveBlock(SlabHeader* slab, int index) =>
            index >= 0 && (slab->UsedBlocks[index >> 6] & (1UL << (index & 63))) != 0;

        private SlabHeader* NewSlab(int cls)
        {
            ulong page = _pages->AllocatePages(1);
            if (page == 0) return null;
            SlabHeader* slab = (SlabHeader*)page;
            slab->Magic = HeapMagic;
            slab->Kind = KindSlab;
            slab->ClassIndex = (ushort)cls;
            slab->BlockSize = _classSize[cls];
            slab->Capacity = _classCapacity[cls];
            slab->UsedCount = 0;
            slab->Next = null;
            slab->Previous = null;
            for (int w = 0; w < BlocksPerSlabLimit / 64; w++)
            {
                int firstMissing = slab->Capacity - w * 64;
                if (firstMissing >= 64) slab->UsedBlocks[w] = 0;
                else if (firstMissing <= 0) slab->UsedBlocks[w] = ~0UL;
                else slab->UsedBlocks[w] = ~0UL << firstMissing;
            }
            Statistics.SlabPages++;
            return slab;
        }

        private void ReleaseSlab(SlabHeader* slab)
        {
            slab->Magic = 0;
            _pages->FreePages((ulong)slab, 1);
            Statistics.SlabPages--;
        }

        private void PushAvailable(int cls, SlabHeader* slab)
        {
            SlabHeader* head = (SlabHeader*)_availableSlabs[cls];
            slab->Previous = null;
            slab->Next = head;
            if (head != null) head->Previous = slab;
            _availableSlabs[cls] = (ulong)slab;
        }

        private void Unlink(int cls, SlabHeader* slab)
        {
            if (slab->Previous != null) slab->Previous->Next = slab->Next;
            else _availableSlabs[cls] = (ulong)slab->Next;
            if (slab->Next != null) slab->Next->Previous = slab->Previous;
            slab->Next = null;
            slab->Previous = null;
        }

        private bool Refuse()
        {
            Statistics.InvalidFrees++;
            return false;
        }

        private static ulong LargeUsableSize(ulong pageCount) => pageCount * PageSize - LargeHeaderSize;

        // Multiples of 16 chosen so that (4096 - 64) / size blocks leave little of the page unused.
        private static uint SizeOfClass(int index)
        {
            switch (index)
            {
                case 0: return 16;
                case 1: return 32;
                case 2: return 48;
                case 3: return 64;
                case 4: return 80;
                case 5: return 96;
                case 6: return 112;
                case 7: return 128;
                case 8: return 160;
                case 9: return 192;
                case 10: return 224;
                case 11: return 256;
                case 12: return 288;
                case 13: return 336;
                case 14: return 400;
                case 15: return 448;
                case 16: return 576;
                case 17: return 672;
                case 18: return 800;
                case 19: return 1008;
                case 20: return 1344;
                default: return 2016;
            }
        }
    }
}
