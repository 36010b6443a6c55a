namespace Kernel.Memory
{
    // Physical memory, handed out in contiguous runs of 4 KiB pages.
    //
    // Bookkeeping: one bit per page, 1 = in use (or not usable), 0 = free. Each managed range owns its
    // own stretch of the bitmap, starting on a 64-bit word boundary; the bits after the range's last
    // page up to the end of its last word stay set for ever. Searches never run past a range's end, so
    // an allocation can never straddle two ranges that merely sit next to each other in the bitmap, and
    // a word of all ones always means "nothing free here", which lets scans skip 64 pages at a time.
    // There is no other memory to keep the bitmap in, so it lives in the first pages of the lowest range
    // that can hold it with at least one page to spare; those pages are marked in use for good and
    // reported as ReservedForBookkeepingPages.
    //
    // Identity mapping is assumed: a physical address is also the pointer to that memory (the bitmap is
    // reached through its physical address; AllocateZeroedPages writes through the returned address).
    //
    // Page 0 is never managed, because 0 is how AllocatePages reports failure.
    //
    // Error policy: FreePages validates the whole request before changing anything. Freeing a page
    // outside the managed ranges, a misaligned address, a run that runs off the end of its range, a
    // bookkeeping page, or a page that is already free is refused: nothing changes, ErrorCount goes up
    // and FreePages returns false. The bitmap does not record where one allocation ends and the next
    // begins, so freeing part of an allocation, or two adjacent allocations in one call, is accepted.
    //
    // Not reentrant: the kernel runs on one CPU, and nothing may call in from an interrupt handler while
    // the main flow might be inside.
    internal unsafe struct PageAllocator
    {
        public const ulong PageSize = 4096;
        public const int PageShift = 12;
        public const int MaxRanges = 16;
        private const ulong PageOffsetMask = PageSize - 1;
        private const ulong AllOnes = ~0UL;

        // Sorted by start address, disjoint, page aligned.
        private fixed ulong _rangeStart[MaxRanges];
        private fixed ulong _rangePages[MaxRanges];
        // Index in the bitmap of each range's first page; always a multiple of 64.
        private fixed ulong _rangeFirstBit[MaxRanges];
        private int _rangeCount;

        /// <summary>Called by every allocation and free when set (the kernel's uk.debug.locks: Threads/LockChecks);
        /// null otherwise, and on the host, where no lock exists.</summary>
        public delegate*<void> LockCheck;
        private ulong* _bitmap;
        private ulong _bitmapWords;
        private ulong _bookkeepingStart;

        // Every bitmap word below this index is all ones. Kept exact on allocation and lowered on free,
        // so searches can start here without losing first-fit order, and single-page allocations do not
        // rescan the full words at the bottom of memory each time.
        private ulong _lowestWordWithFreeBit;

        // All managed pages, including the bookkeeping ones.
        public ulong TotalPages { get; private set; }
        public ulong FreePageCount { get; private set; }
        // The fewest free pages there ever were: what the machine's RAM had to hold at its fullest (MemoryReport).
        public ulong LowestFreePageCount { get; private set; }
        public ulong ReservedForBookkeepingPages { get; private set; }
        // Refused FreePages calls (see the error policy above).
        public ulong ErrorCount { get; private set; }
        // Input ranges that manage nothing: empty after rounding inward, beyond MaxRanges, or entirely
        // covered by an earlier range.
        public int IgnoredRanges { get; private set; }

        public int RangeCount => _rangeCount;

        // Takes over the given ranges (the caller has already removed the kernel image and anything
        // reserved). If no range can hold the bitmap, nothing is managed and TotalPages stays 0.
        public void Initialize(MemoryRange* usable, int count)
        {
            _rangeCount = 0;
            _bitmap = null;
            _bitmapWords = 0;
            _bookkeepingStart = 0;
            _lowestWordWithFreeBit = 0;
            TotalPages = 0;
            FreePageCount = 0;
            ReservedForBookkeepingPages = 0;
            ErrorCount = 0;
            IgnoredRanges = 0;

            for (int i = 0; i < count; i++)
            {
                if (!AddRange(usable[i].Start, usable[i].Length)) IgnoredRanges++;
            }
            SortRanges();
            RemoveOverlaps();

            ulong nextBit = 0;
            ulong pages = 0;
            for (int r = 0; r < _rangeCount; r++)
            {
                _rangeFirstBit[r] = nextBit;
                nextBit += RoundUp(_rangePages[r], 64);
                pages += _rangePages[r];
            }
            ulong words = nextBit / 64;
            ulong bookkeepingPages = RoundUp(words * sizeof(ulong), PageSize) / PageSize;

            int home = -1;
            for (int r = 0; r < _rangeCount; r++)
            {
                if (_rangePages[r] > bookkeepingPages) { home = r; break; }
            }
            if (home < 0)
            {
                _rangeCount = 0;
                return;
            }

            _bitmap = (ulong*)_rangeStart[home];
            _bitmapWords = words;
            _bookkeepingStart = _rangeStart[home];
            for (ulong w = 0; w < words; w++) _bitmap[w] = AllOnes;
            for (int r = 0; r < _rangeCount; r++) ClearBits(_rangeFirstBit[r], _rangePages[r]);
            SetBits(_rangeFirstBit[home], bookkeepingPages);

            TotalPages = pages;
            ReservedForBookkeepingPages = bookkeepingPages;
            FreePageCount = pages - bookkeepingPages;
            LowestFreePageCount = FreePageCount;
            RaiseLowestWordHint();
        }

        // Physical address of `count` contiguous free pages, the lowest such run (first fit), or 0 when
        // there is none. The pages are NOT zeroed: they hold whatever was there before.
        public ulong AllocatePages(ulong count)
        {
            if (LockCheck != null) LockCheck();
            if (count == 0 || count > FreePageCount) return 0;
            ulong searchFrom = _lowestWordWithFreeBit * 64;
            for (int r = 0; r < _rangeCount; r++)
            {
                ulong pages = _rangePages[r];
                if (pages < count) continue;
                ulong rangeFirst = _rangeFirstBit[r];
                ulong rangeEnd = rangeFirst + pages;
                if (rangeEnd <= searchFrom) continue;

                ulong bit = rangeFirst > searchFrom ? rangeFirst : searchFrom;
                while (true)
                {
                    ulong runStart = FindClearBit(bit, rangeEnd);
                    if (rangeEnd - runStart < count) break;
                    ulong runEnd = count == 1 ? runStart + 1 : FindSetBit(runStart + 1, runStart + count);
                    if (runEnd - runStart == count)
                    {
                        SetBits(runStart, count);
                        FreePageCount -= count;
                        if (FreePageCount < LowestFreePageCount) LowestFreePageCount = FreePageCount;
                        if ((runStart >> 6) == _lowestWordWithFreeBit) RaiseLowestWordHint();
                        return _rangeStart[r] + ((runStart - rangeFirst) << PageShift);
                    }
                    bit = runEnd;
                }
            }
            return 0;
        }

        // As AllocatePages, with the pages filled with zeros.
        public ulong AllocateZeroedPages(ulong count)
        {
            ulong address = AllocatePages(count);
            if (address != 0) ZeroMemory((void*)address, count << PageShift);
            return address;
        }

        // Gives back `count` pages starting at `address`. Returns false, changing nothing and counting an
        // error, when the request is not a run of allocated pages inside one managed range.
        public bool FreePages(ulong address, ulong count)
        {
            if (LockCheck != null) LockCheck();
            int r = RangeIndexOf(address);
            if (count == 0 || (address & PageOffsetMask) != 0 || r < 0) return Refuse();

            ulong pageInRange = (address - _rangeStart[r]) >> PageShift;
            if (count > _rangePages[r] - pageInRange) return Refuse();

            ulong firstBit = _rangeFirstBit[r] + pageInRange;
            if (FindClearBit(firstBit, firstBit + count) != firstBit + count) return Refuse();

            ulong bookkeepingEnd = _bookkeepingStart + (ReservedForBookkeepingPages << PageShift);
            ulong runEndAddress = address + (count << PageShift);
            if (address < bookkeepingEnd && runEndAddress > _bookkeepingStart) return Refuse();

            ClearBits(firstBit, count);
            FreePageCount += count;
            ulong word = firstBit >> 6;
            if (word < _lowestWordWithFreeBit) _lowestWordWithFreeBit = word;
            return true;
        }

        // True when the page holding `address` was handed out by AllocatePages and not yet freed. Lets
        // callers (the kernel heap) check a pointer's page before reading a header from it.
        public bool IsAllocated(ulong address)
        {
            int r = RangeIndexOf(address);
            if (r < 0) return false;
            ulong pageAddress = address & ~PageOffsetMask;
            ulong bookkeepingEnd = _bookkeepingStart + (ReservedForBookkeepingPages << PageShift);
            if (pageAddress >= _bookkeepingStart && pageAddress < bookkeepingEnd) return false;
            ulong bit = _rangeFirstBit[r] + ((pageAddress - _rangeStart[r]) >> PageShift);
            return (_bitmap[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
        }

        // The managed ranges after rounding, sorting and overlap removal (for the boot log and tests).
        public MemoryRange GetRange(int index)
        {
            MemoryRange range = default;
            if (index >= 0 && index < _rangeCount)
            {
                range.Start = _rangeStart[index];
                range.Length = _rangePages[index] << PageShift;
            }
            return range;
        }

        internal static void ZeroMemory(void* destination, ulong bytes)
        {
            byte* p = (byte*)destination;
            // Byte stores until 8-byte aligned, so the bulk of the work is word stores.
            while (bytes > 0 && ((ulong)p & 7) != 0) { *p++ = 0; bytes--; }
            // Eight stores a round: the loop's own instructions (add, compare, branch) then cost 3 per 64 bytes
            // instead of 3 per 8 -- zeroing was 13% of hello's boot instructions before (benchmarks/boot/profile.py).
            ulong* words = (ulong*)p;
            ulong wordCount = bytes >> 3;
            ulong* end = words + (wordCount & ~7UL);
            for (; words < end; words += 8)
            {
                words[0] = 0; words[1] = 0; words[2] = 0; words[3] = 0;
                words[4] = 0; words[5] = 0; words[6] = 0; words[7] = 0;
            }
            for (ulong i = 0; i < (wordCount & 7); i++) words[i] = 0;
            p += wordCount << 3;
            bytes &= 7;
            while (bytes > 0) { *p++ = 0; bytes--; }
        }

        // Index of the lowest set bit; `value` must not be 0. (No BitOperations in the kernel.)
        internal static int TrailingZeroCount(ulong value)
        {
            int count = 0;
            if ((value & 0xFFFFFFFFUL) == 0) { count += 32; value >>= 32; }
            if ((value & 0xFFFFUL) == 0) { count += 16; value >>= 16; }
            if ((value & 0xFFUL) == 0) { count += 8; value >>= 8; }
            if ((value & 0xFUL) == 0) { count += 4; value >>= 4; }
            if ((value & 0x3UL) == 0) { count += 2; value >>= 2; }
            if ((value & 0x1UL) == 0) count += 1;
            return count;
        }

        private bool Refuse()
        {
            ErrorCount++;
            return false;
        }

        private bool AddRange(ulong start, ulong length)
        {
            ulong end = length > AllOnes - start ? AllOnes : start + length;
            if (start > AllOnes - PageOffsetMask) return false;
            start = RoundUp(start, PageSize);
            end &= ~PageOffsetMask;
            if (start < PageSize) start = PageSize;
            if (end <= start || _rangeCount == MaxRanges) return false;
            _rangeStart[_rangeCount] = start;
            _rangePages[_rangeCount] = (end - start) >> PageShift;
            _rangeCount++;
            return true;
        }

        // Insertion sort: at most MaxRanges entries.
        private void SortRanges()
        {
            for (int i = 1; i < _rangeCount; i++)
            {
                ulong start = _rangeStart[i];
                ulong pages = _rangePages[i];
                int j = i - 1;
                while (j >= 0 && _rangeStart[j] > start)
                {
                    _rangeStart[j + 1] = _rangeStart[j];
                    _rangePages[j + 1] = _rangePages[j];
                    j--;
                }
                _rangeStart[j + 1] = start;
                _rangePages[j + 1] = pages;
            }
        }

        // A boot memory map should not overlap, but handing out the same page twice would be far worse
        // than losing a little memory, so overlapping parts are trimmed from the later range.
        private void RemoveOverlaps()
        {
            int kept = 0;
            for (int i = 0; i < _rangeCount; i++)
            {
                ulong start = _rangeStart[i];
                ulong end = start + (_rangePages[i] << PageShift);
                if (kept > 0)
                {
                    ulong previousEnd = _rangeStart[kept - 1] + (_rangePages[kept - 1] << PageShift);
                    if (start < previousEnd) start = previousEnd;
                }
                if (end <= start)
                {
                    IgnoredRanges++;
                    continue;
                }
                _rangeStart[kept] = start;
                _rangePages[kept] = (end - start) >> PageShift;
                kept++;
            }
            _rangeCount = kept;
        }

        private int RangeIndexOf(ulong address)
        {
            for (int r = 0; r < _rangeCount; r++)
            {
                ulong start = _rangeStart[r];
                if (address >= start && ((address - start) >> PageShift) < _rangePages[r]) return r;
            }
            return -1;
        }

        private void RaiseLowestWordHint()
        {
            while (_lowestWordWithFreeBit < _bitmapWords && _bitmap[_lowestWordWithFreeBit] == AllOnes)
                _lowestWordWithFreeBit++;
        }

        // First clear bit in [from, limit), or limit when there is none.
        private ulong FindClearBit(ulong from, ulong limit) => FindBit(from, limit, AllOnes);

        // First set bit in [from, limit), or limit when there is none.
        private ulong FindSetBit(ulong from, ulong limit) => FindBit(from, limit, 0);

        // Scans whole words: `flip` turns the bits sought into ones (all ones to find clear bits).
        private ulong FindBit(ulong from, ulong limit, ulong flip)
        {
            ulong bit = from;
            while (bit < limit)
            {
                ulong word = bit >> 6;
                ulong candidates = (_bitmap[word] ^ flip) & (AllOnes << (int)(bit & 63));
                if (candidates != 0)
                {
                    ulong found = (word << 6) + (ulong)TrailingZeroCount(candidates);
                    return found < limit ? found : limit;
                }
                bit = (word + 1) << 6;
            }
            return limit;
        }

        private void SetBits(ulong first, ulong count) => UpdateBits(first, count, set: true);

        private void ClearBits(ulong first, ulong count) => UpdateBits(first, count, set: false);

        // Whole words at a time where the run covers them.
        private void UpdateBits(ulong first, ulong count, bool set)
        {
            ulong bit = first;
            ulong end = first + count;
            while (bit < end)
            {
                int offset = (int)(bit & 63);
                ulong span = 64 - (ulong)offset;
                if (span > end - bit) span = end - bit;
                ulong mask = MaskOf(offset, span);
                if (set) _bitmap[bit >> 6] |= mask;
                else _bitmap[bit >> 6] &= ~mask;
                bit += span;
            }
        }

        // `span` consecutive ones starting at bit `offset`; offset + span <= 64.
        private static ulong MaskOf(int offset, ulong span)
        {
            ulong ones = span == 64 ? AllOnes : (1UL << (int)span) - 1;
            return ones << offset;
        }

        private static ulong RoundUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
    }
}
