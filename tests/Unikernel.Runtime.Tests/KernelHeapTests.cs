using System.Runtime.InteropServices;
using Kernel.Memory;
using Xunit;

namespace Unikernel.Runtime.Tests;

public sealed unsafe class KernelHeapTests : IDisposable
{
    private const ulong Page = PageAllocator.PageSize;

    private readonly List<IntPtr> _buffers = new();
    private readonly PageAllocator* _pages;
    private readonly KernelHeap* _heap;

    public KernelHeapTests()
    {
        _pages = (PageAllocator*)NativeMemory.AllocZeroed((nuint)sizeof(PageAllocator));
        _heap = (KernelHeap*)NativeMemory.AllocZeroed((nuint)sizeof(KernelHeap));
    }

    public void Dispose()
    {
        foreach (IntPtr buffer in _buffers) NativeMemory.AlignedFree((void*)buffer);
        NativeMemory.Free(_heap);
        NativeMemory.Free(_pages);
    }

    private void Initialize(ulong pages)
    {
        void* buffer = NativeMemory.AlignedAlloc((nuint)(pages * Page), (nuint)Page);
        _buffers.Add((IntPtr)buffer);
        // Garbage, so Allocate has to zero for real.
        new Span<byte>(buffer, checked((int)(pages * Page))).Fill(0xCC);
        var range = new MemoryRange { Start = (ulong)buffer, Length = pages * Page };
        _pages->Initialize(&range, 1);
        _heap->Initialize(_pages);
    }

    private static bool IsZero(void* p, ulong size) =>
        new ReadOnlySpan<byte>(p, checked((int)size)).IndexOfAnyExcept((byte)0) < 0;

    private static void Fill(void* p, ulong size, ulong seed)
    {
        byte* bytes = (byte*)p;
        for (ulong i = 0; i < size; i++) bytes[i] = (byte)(seed * 131 + i * 7 + 1);
    }

    private static bool Holds(void* p, ulong size, ulong seed)
    {
        byte* bytes = (byte*)p;
        for (ulong i = 0; i < size; i++)
        {
            if (bytes[i] != (byte)(seed * 131 + i * 7 + 1)) return false;
        }
        return true;
    }

    private static void AssertDisjoint(List<(ulong Address, ulong Size)> blocks)
    {
        var sorted = blocks.OrderBy(b => b.Address).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            Assert.True(sorted[i - 1].Address + sorted[i - 1].Size <= sorted[i].Address,
                $"blocks at {sorted[i - 1].Address:x} and {sorted[i].Address:x} overlap");
        }
    }

    [Fact]
    public void SizeClasses_AreMultiplesOfSixteenAndAscending()
    {
        ulong previous = 0;
        for (int c = 0; c < KernelHeap.ClassCount; c++)
        {
            ulong size = KernelHeap.SizeOfClassIndex(c);
            Assert.Equal(0UL, size % 16);
            Assert.True(size > previous);
            previous = size;
        }
        Assert.Equal(KernelHeap.LargestSmallSize, previous);
    }

    [Fact]
    public void Headers_FitTheSpaceReservedForThem()
    {
        // Blocks start right after these constants; a header that grew would overlap the first block.
        Type slab = typeof(KernelHeap).GetNestedType("SlabHeader", System.Reflection.BindingFlags.NonPublic)!;
        Type large = typeof(KernelHeap).GetNestedType("LargeHeader", System.Reflection.BindingFlags.NonPublic)!;
        Assert.Equal((int)KernelHeap.SlabHeaderSize, Marshal.SizeOf(slab));
        Assert.Equal((int)KernelHeap.LargeHeaderSize, Marshal.SizeOf(large));
    }

    [Theory]
    [InlineData(0UL, 16UL)]
    [InlineData(1UL, 16UL)]
    [InlineData(16UL, 16UL)]
    [InlineData(17UL, 32UL)]
    [InlineData(129UL, 160UL)]
    [InlineData(512UL, 576UL)]
    [InlineData(2016UL, 2016UL)]
    [InlineData(2017UL, Page - KernelHeap.LargeHeaderSize)]
    [InlineData(Page - KernelHeap.LargeHeaderSize, Page - KernelHeap.LargeHeaderSize)]
    [InlineData(Page - KernelHeap.LargeHeaderSize + 1, 2 * Page - KernelHeap.LargeHeaderSize)]
    public void RequestSizes_MapToTheExpectedUsableSize(ulong request, ulong expectedUsable)
    {
        Initialize(64);
        void* p = _heap->Allocate(request);
        Assert.True(p != null);
        Assert.Equal(expectedUsable, _heap->UsableSize(p));
    }

    [Fact]
    public void EverySizeClass_ReturnsAlignedZeroedNonOverlappingBlocks()
    {
        Initialize(1024);
        var blocks = new List<(ulong Address, ulong Size)>();
        ulong smallestInClass = 1;
        for (int c = 0; c < KernelHeap.ClassCount; c++)
        {
            ulong classSize = KernelHeap.SizeOfClassIndex(c);
            ulong perSlab = (Page - KernelHeap.SlabHeaderSize) / classSize;
            // Enough to need three slabs, alternating the smallest and largest request of the class.
            for (ulong i = 0; i < 2 * perSlab + 1; i++)
            {
                ulong request = i % 2 == 0 ? classSize : smallestInClass;
                void* p = _heap->Allocate(request);
                Assert.True(p != null);
                Assert.Equal(0UL, (ulong)p % 16);
                Assert.Equal(classSize, _heap->UsableSize(p));
                Assert.True(IsZero(p, classSize));
                Fill(p, classSize, (ulong)blocks.Count);
                blocks.Add(((ulong)p, classSize));
            }
            smallestInClass = classSize + 1;
        }

        AssertDisjoint(blocks);
        for (int i = 0; i < blocks.Count; i++) Assert.True(Holds((void*)blocks[i].Address, blocks[i].Size, (ulong)i));
        Assert.Equal((ulong)blocks.Count, _heap->Statistics.LiveAllocations);
        Assert.Equal((ulong)blocks.Sum(b => (long)b.Size), _heap->Statistics.BytesInUse);
        foreach (var block in blocks) Assert.True(_heap->Free((void*)block.Address));
        Assert.Equal(0UL, _heap->Statistics.InvalidFrees);
    }

    [Fact]
    public void WritingTheFullUsableSize_LeavesNeighboursAndHeadersIntact()
    {
        Initialize(2048);
        var random = new Random(7);
        var blocks = new List<(ulong Address, ulong Size)>();
        for (int i = 0; i < 3000; i++)
        {
            ulong request = (ulong)random.Next(0, 2100);
            void* p = _heap->Allocate(request);
            Assert.True(p != null);
            ulong usable = _heap->UsableSize(p);
            Assert.True(usable >= request);
            Fill(p, usable, (ulong)i);
            blocks.Add(((ulong)p, usable));
        }

        AssertDisjoint(blocks);
        for (int i = 0; i < blocks.Count; i++)
        {
            Assert.True(Holds((void*)blocks[i].Address, blocks[i].Size, (ulong)i), $"block {i} was overwritten");
            Assert.Equal(blocks[i].Size, _heap->UsableSize((void*)blocks[i].Address));
        }
        // Free only works if every slab and large header survived the writes.
        foreach (var block in blocks) Assert.True(_heap->Free((void*)block.Address));
        Assert.Equal(0UL, _heap->Statistics.InvalidFrees);
        Assert.Equal(0UL, _heap->Statistics.LiveAllocations);
    }

    [Fact]
    public void FreedMemory_ComesBackZeroed()
    {
        Initialize(64);
        void* small = _heap->Allocate(100);
        Fill(small, _heap->UsableSize(small), 1);
        Assert.True(_heap->Free(small));
        void* again = _heap->Allocate(100);
        Assert.True(small == again);
        Assert.True(IsZero(again, _heap->UsableSize(again)));

        void* large = _heap->Allocate(3 * Page);
        Fill(large, _heap->UsableSize(large), 2);
        Assert.True(_heap->Free(large));
        void* largeAgain = _heap->Allocate(3 * Page);
        Assert.True(large == largeAgain);
        Assert.True(IsZero(largeAgain, _heap->UsableSize(largeAgain)));
    }

    [Fact]
    public void LargeAllocations_TakeWholePagesAndGiveThemBack()
    {
        Initialize(256);
        ulong freeBefore = _pages->FreePageCount;
        ulong[] sizes = { 2017, 4080, 4081, 10_000, 100_000, 300_000 };
        var blocks = new List<(ulong Address, ulong Size)>();
        ulong expectedPages = 0;
        foreach (ulong size in sizes)
        {
            void* p = _heap->Allocate(size);
            Assert.True(p != null);
            Assert.Equal(0UL, (ulong)p % 16);
            ulong pages = (size + KernelHeap.LargeHeaderSize + Page - 1) / Page;
            expectedPages += pages;
            Assert.Equal(pages * Page - KernelHeap.LargeHeaderSize, _heap->UsableSize(p));
            Assert.True(IsZero(p, _heap->UsableSize(p)));
            Fill(p, _heap->UsableSize(p), (ulong)blocks.Count);
            blocks.Add(((ulong)p, _heap->UsableSize(p)));
        }

        Assert.Equal(expectedPages, _heap->Statistics.LargePages);
        Assert.Equal(0UL, _heap->Statistics.SlabPages);
        Assert.Equal(freeBefore - expectedPages, _pages->FreePageCount);
        AssertDisjoint(blocks);
        for (int i = 0; i < blocks.Count; i++) Assert.True(Holds((void*)blocks[i].Address, blocks[i].Size, (ulong)i));

        foreach (var block in blocks) Assert.True(_heap->Free((void*)block.Address));
        Assert.Equal(0UL, _heap->Statistics.LargePages);
        Assert.Equal(freeBefore, _pages->FreePageCount);
    }

    [Fact]
    public void FreeingEverything_ReturnsThePagesHeldToBaseline()
    {
        Initialize(4096);
        ulong freeBefore = _pages->FreePageCount;
        var random = new Random(99);
        var pointers = new List<IntPtr>();
        for (int i = 0; i < 5000; i++)
        {
            ulong size = random.Next(20) == 0 ? (ulong)random.Next(2017, 20000) : (ulong)random.Next(1, 2017);
            void* p = _heap->Allocate(size);
            Assert.True(p != null);
            pointers.Add((IntPtr)p);
        }
        Assert.True(_heap->Statistics.PagesHeld > 0);
        Assert.Equal(freeBefore - _heap->Statistics.PagesHeld, _pages->FreePageCount);

        foreach (IntPtr p in pointers.OrderBy(_ => random.Next())) Assert.True(_heap->Free((void*)p));

        Assert.Equal(0UL, _heap->Statistics.LiveAllocations);
        Assert.Equal(0UL, _heap->Statistics.BytesInUse);
        Assert.Equal(0UL, _heap->Statistics.LargePages);
        // At most one spare slab per class stays behind, and Trim gives those back too.
        Assert.True(_heap->Statistics.SlabPages <= KernelHeap.ClassCount);
        _heap->Trim();
        Assert.Equal(0UL, _heap->Statistics.PagesHeld);
        Assert.Equal(freeBefore, _pages->FreePageCount);
        Assert.Equal((ulong)pointers.Count, _heap->Statistics.TotalAllocations);
        Assert.Equal((ulong)pointers.Count, _heap->Statistics.TotalFrees);
    }

    [Fact]
    public void EmptySlabs_BeyondOneSparePerClass_GoBackAtOnce()
    {
        Initialize(64);
        ulong freeBefore = _pages->FreePageCount;
        ulong perSlab = (Page - KernelHeap.SlabHeaderSize) / 64;
        var pointers = new List<IntPtr>();
        for (ulong i = 0; i < 3 * perSlab; i++) pointers.Add((IntPtr)_heap->Allocate(64));
        Assert.Equal(3UL, _heap->Statistics.SlabPages);

        foreach (IntPtr p in pointers) Assert.True(_heap->Free((void*)p));
        Assert.Equal(1UL, _heap->Statistics.SlabPages);
        Assert.Equal(freeBefore - 1, _pages->FreePageCount);

        // The spare is used before a new page is taken.
        void* reused = _heap->Allocate(64);
        Assert.Equal(1UL, _heap->Statistics.SlabPages);
        Assert.True(_heap->Free(reused));
    }

    [Fact]
    public void DoubleFree_IsDetectedAndChangesNothing()
    {
        Initialize(64);
        void* a = _heap->Allocate(48);
        void* b = _heap->Allocate(48);
        void* large = _heap->Allocate(3 * Page);
        Assert.True(_heap->Free(a));
        Assert.True(_heap->Free(large));
        ulong live = _heap->Statistics.LiveAllocations;
        ulong bytes = _heap->Statistics.BytesInUse;
        ulong freePages = _pages->FreePageCount;

        Assert.False(_heap->Free(a));
        Assert.False(_heap->Free(large));
        Assert.Equal(2UL, _heap->Statistics.InvalidFrees);
        Assert.Equal(live, _heap->Statistics.LiveAllocations);
        Assert.Equal(bytes, _heap->Statistics.BytesInUse);
        Assert.Equal(freePages, _pages->FreePageCount);
        Assert.Equal(0UL, _pages->ErrorCount);
        Assert.Equal(0UL, _heap->UsableSize(a));

        // The heap is still sound: b can go, and the last block of the slab frees its page.
        Assert.True(_heap->Free(b));
        Assert.False(_heap->Free(b));
        Assert.Equal(0UL, _heap->Statistics.LiveAllocations);
    }

    [Fact]
    public void ForeignAndInteriorPointers_AreRefused()
    {
        Initialize(64);
        void* small = _heap->Allocate(64);
        void* large = _heap->Allocate(2 * Page);
        ulong rawPage = _pages->AllocateZeroedPages(1);
        void* elsewhere = NativeMemory.AlignedAlloc(2 * (nuint)Page, (nuint)Page);
        try
        {
            // A copy of a real slab page outside the page allocator's memory: right magic, wrong owner.
            Buffer.MemoryCopy((void*)((ulong)small & ~(Page - 1)), elsewhere, Page, Page);
            void*[] bad =
            {
                (byte*)small + 1,
                (byte*)small + 16,
                (byte*)small - KernelHeap.SlabHeaderSize,
                (byte*)large + 16,
                (byte*)large + Page,
                (byte*)large - KernelHeap.LargeHeaderSize,
                (void*)rawPage,
                (void*)(rawPage + 64),
                (byte*)elsewhere + ((ulong)small & (Page - 1)),
                (void*)0x1000,
            };
            foreach (void* p in bad)
            {
                Assert.Equal(0UL, _heap->UsableSize(p));
                Assert.False(_heap->Free(p));
            }
            Assert.Equal((ulong)bad.Length, _heap->Statistics.InvalidFrees);

            Assert.False(_heap->Free(null));
            Assert.Equal((ulong)bad.Length, _heap->Statistics.InvalidFrees);

            Assert.Equal(2UL, _heap->Statistics.LiveAllocations);
            Assert.True(_heap->Free(small));
            Assert.True(_heap->Free(large));
        }
        finally
        {
            NativeMemory.AlignedFree(elsewhere);
        }
    }

    [Fact]
    public void OutOfMemory_ReturnsNull_AndFreeingRecovers()
    {
        Initialize(8); // one bookkeeping page, seven for the heap
        var pointers = new List<IntPtr>();
        for (void* p; (p = _heap->Allocate(1000)) != null;) pointers.Add((IntPtr)p);

        ulong perSlab = (Page - KernelHeap.SlabHeaderSize) / 1008;
        Assert.Equal((int)(7 * perSlab), pointers.Count);
        Assert.Equal(0UL, _pages->FreePageCount);
        Assert.True(_heap->Allocate(16) == null);
        Assert.True(_heap->Allocate(5 * Page) == null);
        Assert.True(_heap->Allocate(ulong.MaxValue) == null);
        Assert.True(_heap->Allocate(ulong.MaxValue - 8) == null);
        Assert.Equal(5UL, _heap->Statistics.FailedAllocations);

        Assert.True(_heap->Free((void*)pointers[0]));
        void* again = _heap->Allocate(1000);
        Assert.True(again != null);
        Assert.True(_heap->Allocate(1000) == null);
        pointers[0] = (IntPtr)again;

        foreach (IntPtr p in pointers) Assert.True(_heap->Free((void*)p));
        _heap->Trim();
        void* big = _heap->Allocate(7 * Page - KernelHeap.LargeHeaderSize);
        Assert.True(big != null);
        Assert.True(IsZero(big, _heap->UsableSize(big)));
    }

    [Fact]
    public void RandomizedStress_OneHundredThousandOperations_KeepsContentsAndCounts()
    {
        Initialize(4096); // 16 MiB
        var random = new Random(2024);
        var live = new List<(IntPtr Pointer, ulong Size, ulong Seed)>();
        ulong bytesInUse = 0;
        ulong seed = 0;

        for (int step = 0; step < 100_000; step++)
        {
            bool allocate = live.Count == 0 || (live.Count < 4000 && random.Next(100) < 52);
            if (allocate)
            {
                int shape = random.Next(100);
                ulong size = shape < 60 ? (ulong)random.Next(0, 129)
                    : shape < 97 ? (ulong)random.Next(129, 2017)
                    : (ulong)random.Next(2017, 40_000);
                void* p = _heap->Allocate(size);
                Assert.True(p != null, $"step {step}: out of memory with {live.Count} live blocks");
                Assert.Equal(0UL, (ulong)p % 16);
                ulong usable = _heap->UsableSize(p);
                Assert.True(usable >= size);
                Assert.True(IsZero(p, usable), $"step {step}: block not zeroed");
                seed++;
                Fill(p, usable, seed);
                live.Add(((IntPtr)p, usable, seed));
                bytesInUse += usable;
            }
            else
            {
                int index = random.Next(live.Count);
                var (pointer, size, blockSeed) = live[index];
                live[index] = live[^1];
                live.RemoveAt(live.Count - 1);
                Assert.True(Holds((void*)pointer, size, blockSeed), $"step {step}: block contents changed");
                Assert.True(_heap->Free((void*)pointer));
                bytesInUse -= size;
            }

            if (step % 1000 == 0)
            {
                Assert.Equal((ulong)live.Count, _heap->Statistics.LiveAllocations);
                Assert.Equal(bytesInUse, _heap->Statistics.BytesInUse);
                Assert.Equal(_pages->TotalPages - _pages->ReservedForBookkeepingPages - _heap->Statistics.PagesHeld,
                    _pages->FreePageCount);
            }
        }

        foreach (var (pointer, size, blockSeed) in live)
        {
            Assert.True(Holds((void*)pointer, size, blockSeed));
            Assert.True(_heap->Free((void*)pointer));
        }
        _heap->Trim();
        Assert.Equal(0UL, _heap->Statistics.PagesHeld);
        Assert.Equal(0UL, _heap->Statistics.InvalidFrees);
        Assert.Equal(0UL, _pages->ErrorCount);
        Assert.Equal(_pages->TotalPages - _pages->ReservedForBookkeepingPages, _pages->FreePageCount);
    }
}
