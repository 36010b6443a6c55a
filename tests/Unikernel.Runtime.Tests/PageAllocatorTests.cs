using System.Runtime.InteropServices;
using Kernel.Memory;
using Xunit;

namespace Unikernel.Runtime.Tests;

// The "physical memory" here is one page-aligned native buffer; its addresses stand in for physical
// addresses, as they do in the identity-mapped kernel.
public sealed unsafe class PageAllocatorTests : IDisposable
{
    private const ulong Page = PageAllocator.PageSize;

    private readonly List<IntPtr> _buffers = new();
    private readonly PageAllocator* _allocator;

    public PageAllocatorTests()
    {
        _allocator = (PageAllocator*)NativeMemory.AllocZeroed((nuint)sizeof(PageAllocator));
    }

    public void Dispose()
    {
        foreach (IntPtr buffer in _buffers) NativeMemory.AlignedFree((void*)buffer);
        NativeMemory.Free(_allocator);
    }

    private ulong NewBuffer(ulong pages)
    {
        void* buffer = NativeMemory.AlignedAlloc((nuint)(pages * Page), (nuint)Page);
        _buffers.Add((IntPtr)buffer);
        // Garbage, so nothing can pass by relying on fresh memory being zero.
        new Span<byte>(buffer, checked((int)(pages * Page))).Fill(0xCC);
        return (ulong)buffer;
    }

    private void Initialize(params MemoryRange[] ranges)
    {
        fixed (MemoryRange* p = ranges) _allocator->Initialize(p, ranges.Length);
    }

    private static MemoryRange Range(ulong start, ulong length) => new() { Start = start, Length = length };

    private static bool Inside(ulong address, ulong pages, MemoryRange range) =>
        address >= range.Start && address + pages * Page <= range.Start + range.Length;

    [Fact]
    public void Initialize_RoundsUnalignedEndsInward()
    {
        ulong buffer = NewBuffer(16);
        Initialize(Range(buffer + 100, 10 * Page));

        MemoryRange managed = _allocator->GetRange(0);
        Assert.Equal(1, _allocator->RangeCount);
        Assert.Equal(buffer + Page, managed.Start);
        Assert.Equal(9 * Page, managed.Length);
        Assert.Equal(9UL, _allocator->TotalPages);
    }

    [Fact]
    public void Initialize_DropsRangesSmallerThanAPageAfterRounding()
    {
        ulong buffer = NewBuffer(16);
        Initialize(Range(buffer + 1, Page), Range(buffer + 2 * Page, 8 * Page), Range(buffer + 12 * Page, 0));

        Assert.Equal(1, _allocator->RangeCount);
        Assert.Equal(2, _allocator->IgnoredRanges);
        Assert.Equal(8UL, _allocator->TotalPages);
    }

    [Fact]
    public void BookkeepingPages_AreExcludedFromFreeCountAndNeverHandedOut()
    {
        ulong buffer = NewBuffer(32);
        Initialize(Range(buffer, 32 * Page));

        Assert.Equal(32UL, _allocator->TotalPages);
        Assert.Equal(1UL, _allocator->ReservedForBookkeepingPages);
        Assert.Equal(31UL, _allocator->FreePageCount);

        var handedOut = new HashSet<ulong>();
        for (ulong address; (address = _allocator->AllocatePages(1)) != 0;) handedOut.Add(address);
        Assert.Equal(31, handedOut.Count);
        Assert.DoesNotContain(buffer, handedOut);

        Assert.False(_allocator->IsAllocated(buffer));
        Assert.False(_allocator->FreePages(buffer, 1));
        Assert.Equal(1UL, _allocator->ErrorCount);
    }

    [Fact]
    public void SeveralDisjointRanges_AreAllUsedAndGapsAreNot()
    {
        ulong buffer = NewBuffer(64);
        // Out of order, with gaps between them that must never be handed out.
        MemoryRange high = Range(buffer + 40 * Page, 20 * Page);
        MemoryRange low = Range(buffer + 2 * Page, 10 * Page);
        MemoryRange middle = Range(buffer + 20 * Page, 5 * Page);
        Initialize(high, low, middle);

        Assert.Equal(3, _allocator->RangeCount);
        Assert.Equal(low.Start, _allocator->GetRange(0).Start);
        Assert.Equal(middle.Start, _allocator->GetRange(1).Start);
        Assert.Equal(high.Start, _allocator->GetRange(2).Start);
        Assert.Equal(35UL, _allocator->TotalPages);
        ulong initialFree = _allocator->FreePageCount;
        Assert.Equal(35UL - _allocator->ReservedForBookkeepingPages, initialFree);

        var seen = new HashSet<ulong>();
        int[] perRange = new int[3];
        for (ulong address; (address = _allocator->AllocatePages(1)) != 0;)
        {
            Assert.True(seen.Add(address));
            Assert.Equal(0UL, address % Page);
            if (Inside(address, 1, low)) perRange[0]++;
            else if (Inside(address, 1, middle)) perRange[1]++;
            else if (Inside(address, 1, high)) perRange[2]++;
            else Assert.Fail($"page {address:x} is outside every range");
        }
        Assert.Equal(initialFree, (ulong)seen.Count);
        Assert.Equal(0UL, _allocator->FreePageCount);
        Assert.Equal(5, perRange[1]);
        Assert.Equal(20, perRange[2]);
    }

    [Fact]
    public void MultiPageAllocations_AreContiguousWithinOneRange()
    {
        ulong buffer = NewBuffer(64);
        MemoryRange first = Range(buffer, 10 * Page);
        MemoryRange second = Range(buffer + 16 * Page, 40 * Page);
        Initialize(first, second);

        ulong a = _allocator->AllocatePages(5);
        ulong b = _allocator->AllocatePages(12);
        Assert.True(Inside(a, 5, first));
        Assert.True(Inside(b, 12, second));
        Assert.Equal(_allocator->TotalPages - _allocator->ReservedForBookkeepingPages - 17, _allocator->FreePageCount);

        // The pages really are there: fill them end to end.
        new Span<byte>((void*)a, (int)(5 * Page)).Fill(1);
        new Span<byte>((void*)b, (int)(12 * Page)).Fill(2);
    }

    [Fact]
    public void Runs_NeverSpanTwoRanges_EvenWhenTheyTouch()
    {
        ulong buffer = NewBuffer(32);
        // Two ranges that are physically adjacent are still separate memory-map entries; and the
        // first one's last bitmap word is followed by the second one's first.
        Initialize(Range(buffer, 8 * Page), Range(buffer + 8 * Page, 8 * Page));
        Assert.Equal(15UL, _allocator->FreePageCount);

        Assert.Equal(0UL, _allocator->AllocatePages(9));
        Assert.NotEqual(0UL, _allocator->AllocatePages(8));
        Assert.NotEqual(0UL, _allocator->AllocatePages(7));
        Assert.Equal(0UL, _allocator->FreePageCount);
    }

    [Fact]
    public void AllocationIsFirstFit()
    {
        ulong buffer = NewBuffer(32);
        Initialize(Range(buffer, 32 * Page));

        ulong a = _allocator->AllocatePages(1);
        ulong b = _allocator->AllocatePages(1);
        ulong c = _allocator->AllocatePages(1);
        Assert.Equal(a + Page, b);
        Assert.Equal(b + Page, c);

        Assert.True(_allocator->FreePages(b, 1));
        ulong pair = _allocator->AllocatePages(2);
        Assert.Equal(c + Page, pair); // the one-page hole is too small
        Assert.Equal(b, _allocator->AllocatePages(1)); // but the next single page fills it
    }

    [Fact]
    public void Exhaustion_ReturnsZero_AndFreeingMakesRoomAgain()
    {
        ulong buffer = NewBuffer(16);
        Initialize(Range(buffer, 16 * Page));

        ulong all = _allocator->AllocatePages(15);
        Assert.NotEqual(0UL, all);
        Assert.Equal(0UL, _allocator->AllocatePages(1));
        Assert.Equal(0UL, _allocator->AllocateZeroedPages(1));
        Assert.Equal(0UL, _allocator->AllocatePages(0));

        Assert.True(_allocator->FreePages(all + 3 * Page, 2));
        Assert.Equal(0UL, _allocator->AllocatePages(3));
        Assert.Equal(all + 3 * Page, _allocator->AllocatePages(2));

        Assert.True(_allocator->FreePages(all, 15));
        Assert.Equal(15UL, _allocator->FreePageCount);
        Assert.Equal(all, _allocator->AllocatePages(15));
        Assert.Equal(0UL, _allocator->ErrorCount);
    }

    [Fact]
    public void AllocateZeroedPages_ReturnsZeroedMemory()
    {
        ulong buffer = NewBuffer(16);
        Initialize(Range(buffer, 16 * Page));

        ulong dirty = _allocator->AllocatePages(3);
        new Span<byte>((void*)dirty, (int)(3 * Page)).Fill(0xAB);
        Assert.True(_allocator->FreePages(dirty, 3));

        ulong clean = _allocator->AllocateZeroedPages(3);
        Assert.Equal(dirty, clean);
        Assert.True(new ReadOnlySpan<byte>((void*)clean, (int)(3 * Page)).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void DoubleFree_IsRefusedAndChangesNothing()
    {
        ulong buffer = NewBuffer(16);
        Initialize(Range(buffer, 16 * Page));
        ulong a = _allocator->AllocatePages(4);
        ulong b = _allocator->AllocatePages(1);

        Assert.True(_allocator->FreePages(a, 4));
        ulong free = _allocator->FreePageCount;

        Assert.False(_allocator->FreePages(a, 4));
        Assert.False(_allocator->FreePages(a + Page, 1));
        // Partly free: b is live but the page before it is not.
        Assert.False(_allocator->FreePages(b - Page, 2));

        Assert.Equal(3UL, _allocator->ErrorCount);
        Assert.Equal(free, _allocator->FreePageCount);
        Assert.True(_allocator->IsAllocated(b));
        Assert.True(_allocator->FreePages(b, 1));
    }

    [Fact]
    public void FreeingOutsideTheRanges_IsRefused()
    {
        ulong buffer = NewBuffer(32);
        Initialize(Range(buffer + 4 * Page, 8 * Page), Range(buffer + 20 * Page, 8 * Page));
        ulong a = _allocator->AllocatePages(7);
        ulong free = _allocator->FreePageCount;

        Assert.False(_allocator->FreePages(buffer, 1));               // below every range
        Assert.False(_allocator->FreePages(buffer + 14 * Page, 1));   // in the gap
        Assert.False(_allocator->FreePages(buffer + 40 * Page, 1));   // above every range
        Assert.False(_allocator->FreePages(a + 8, 1));                // misaligned
        Assert.False(_allocator->FreePages(a, 0));                    // nothing
        Assert.False(_allocator->FreePages(a, 8));                    // runs off the end of the range
        Assert.False(_allocator->FreePages(a, ulong.MaxValue));       // absurd count
        Assert.False(_allocator->FreePages(0, 1));

        Assert.Equal(8UL, _allocator->ErrorCount);
        Assert.Equal(free, _allocator->FreePageCount);
        Assert.True(_allocator->FreePages(a, 7));
    }

    [Fact]
    public void MoreThanSixteenRanges_KeepsTheFirstSixteen()
    {
        ulong buffer = NewBuffer(64);
        var ranges = new MemoryRange[20];
        for (int i = 0; i < ranges.Length; i++) ranges[i] = Range(buffer + (ulong)i * 3 * Page, 2 * Page);
        Initialize(ranges);

        Assert.Equal(PageAllocator.MaxRanges, _allocator->RangeCount);
        Assert.Equal(4, _allocator->IgnoredRanges);
        Assert.Equal(32UL, _allocator->TotalPages);
    }

    [Fact]
    public void OverlappingRanges_AreTrimmedSoNoPageIsManagedTwice()
    {
        ulong buffer = NewBuffer(32);
        Initialize(Range(buffer, 10 * Page), Range(buffer + 6 * Page, 10 * Page), Range(buffer + 2 * Page, 4 * Page));

        Assert.Equal(16UL, _allocator->TotalPages);
        Assert.Equal(1, _allocator->IgnoredRanges);
        var seen = new HashSet<ulong>();
        for (ulong address; (address = _allocator->AllocatePages(1)) != 0;) Assert.True(seen.Add(address));
        Assert.Equal(15, seen.Count);
    }

    [Fact]
    public void PageZero_IsNeverManaged()
    {
        ulong buffer = NewBuffer(16);
        // Only the bookkeeping needs real memory; the range at 0 is never written to.
        // It is also too small to hold the bitmap, which therefore goes into the real buffer.
        Initialize(Range(0, 2 * Page), Range(buffer, 16 * Page));

        Assert.Equal(PageAllocator.PageSize, _allocator->GetRange(0).Start);
        Assert.Equal(PageAllocator.PageSize, _allocator->GetRange(0).Length);
        Assert.Equal(17UL, _allocator->TotalPages);
    }

    [Fact]
    public void SixtyFourGiB_OfPhysicalMemory_IsSupported()
    {
        const ulong GiB = 1UL << 30;
        // 64 GiB needs a 2 MiB bitmap, which goes into the real buffer (the lowest range); the big
        // range above it only has to be addressable, because allocating and freeing never touch it.
        ulong buffer = NewBuffer(1024);
        ulong bigStart = (buffer + 1024 * Page + 2 * GiB) & ~(GiB - 1);
        Initialize(Range(buffer, 1024 * Page), Range(bigStart, 64 * GiB));

        ulong bigPages = 64 * GiB / Page;
        Assert.Equal(1024 + bigPages, _allocator->TotalPages);
        ulong bitmapBytes = (1024 + bigPages) / 8;
        Assert.Equal((bitmapBytes + Page - 1) / Page, _allocator->ReservedForBookkeepingPages);

        ulong run = _allocator->AllocatePages(GiB / Page);
        Assert.Equal(bigStart, run);
        ulong rest = _allocator->AllocatePages(bigPages - GiB / Page);
        Assert.Equal(bigStart + GiB, rest);
        Assert.True(_allocator->FreePages(run, GiB / Page));
        Assert.True(_allocator->FreePages(rest, bigPages - GiB / Page));
        Assert.Equal(_allocator->TotalPages - _allocator->ReservedForBookkeepingPages, _allocator->FreePageCount);
    }

    [Fact]
    public void RandomizedAllocateAndFree_KeepsAllocationsDisjointAndCountsConsistent()
    {
        ulong buffer = NewBuffer(600);
        MemoryRange[] ranges =
        {
            Range(buffer + 123, 100 * Page),
            Range(buffer + 110 * Page, 300 * Page - 77),
            Range(buffer + 420 * Page, 64 * Page),
            Range(buffer + 500 * Page + Page / 2, 99 * Page),
        };
        Initialize(ranges);
        ulong initialFree = _allocator->FreePageCount;

        var random = new Random(12345);
        var live = new List<(ulong Address, ulong Pages, ulong Tag)>();
        var ownerOfPage = new Dictionary<ulong, ulong>();
        ulong livePages = 0;
        ulong nextTag = 1;

        for (int step = 0; step < 20000; step++)
        {
            bool allocate = live.Count == 0 || random.Next(100) < 55;
            if (allocate)
            {
                ulong pages = random.Next(10) == 0 ? (ulong)random.Next(1, 60) : (ulong)random.Next(1, 5);
                ulong address = _allocator->AllocatePages(pages);
                if (address == 0)
                {
                    Assert.True(pages > 1 || _allocator->FreePageCount == 0);
                    continue;
                }
                ulong tag = nextTag++;
                for (ulong i = 0; i < pages; i++)
                {
                    ulong page = address + i * Page;
                    Assert.True(ownerOfPage.TryAdd(page, tag), $"page {page:x} handed out twice");
                    Assert.True(_allocator->IsAllocated(page));
                    *(ulong*)page = tag;
                }
                live.Add((address, pages, tag));
                livePages += pages;
            }
            else
            {
                int index = random.Next(live.Count);
                var (address, pages, tag) = live[index];
                live[index] = live[^1];
                live.RemoveAt(live.Count - 1);
                for (ulong i = 0; i < pages; i++)
                {
                    ulong page = address + i * Page;
                    Assert.Equal(tag, *(ulong*)page);
                    ownerOfPage.Remove(page);
                }
                Assert.True(_allocator->FreePages(address, pages));
                livePages -= pages;
            }
            Assert.Equal(initialFree - livePages, _allocator->FreePageCount);
        }

        foreach (var (address, pages, _) in live) Assert.True(_allocator->FreePages(address, pages));
        Assert.Equal(initialFree, _allocator->FreePageCount);
        Assert.Equal(0UL, _allocator->ErrorCount);
        ulong singles = 0;
        while (_allocator->AllocatePages(1) != 0) singles++;
        Assert.Equal(initialFree, singles);
    }
}
