using Kernel.Arch;
using Kernel.LinuxAbi;

namespace Kernel.Memory
{
    // The app's half of the single address space: a sorted list of memory areas (what mmap, brk and the
    // loader promised) and the page tables that back them lazily. Nothing is committed when an area is
    // created: the .NET GC reserves hundreds of GiB up front, so a page gets physical memory only on
    // its first touch (HandleFault), zero-filled. Kernel memory stays supervisor-only; only pages of
    // these areas carry the U bit.
    //
    // Everything here lies in the user window, MemoryLayout.UserBase (4 MiB) to UserLimit (128 TiB), which
    // holds no kernel byte; every range the app names is checked against that one window first:
    //   app image      where its static executable was linked (at or above 4 MiB, the VMM loaded it there)
    //   brk heap       from BrkBase up
    //   mmap areas     first fit from MmapBase up (MAP_FIXED anywhere in the window)
    //   main stack     below StackTop, growing down to StackLimit
    // Page tables of released ranges are kept (they are reused by the next mapping there). Pages are
    // physical memory from the page allocator, which hands out direct-map addresses (MemoryLayout).
    internal static unsafe class UserAddressSpace
    {
        public const ulong PageSize = 4096;
        public const ulong BrkBase = 0x0000_0100_0000_0000;
        public const ulong BrkLimit = BrkBase + (64UL << 30);
        public const ulong MmapBase = 0x0000_0200_0000_0000;
        public const ulong MmapLimit = 0x0000_7000_0000_0000;
        public const ulong StackTop = 0x0000_7FFF_F000_0000;
        public const ulong StackLimit = 8UL << 20;
        public const ulong InitialStackSize = 128UL << 10;
        private const int FlushWholeTlbAbove = 64;

        private static MemoryArea[] s_areas;
        private static int s_count;
        private static ulong s_brk;
        private static bool s_noExecute;

        /// <summary>Pages currently committed to the app (touched and not released).</summary>
        public static ulong CommittedPages;
        /// <summary>The most CommittedPages ever was (/proc's VmHWM).</summary>
        public static ulong PeakCommittedPages;
        /// <summary>Set when a fault could not get a physical page: the caller reports out of memory.</summary>
        public static bool OutOfMemory;

        public static bool IsReady => s_areas != null;
        public static int AreaCount => s_count;
        public static MemoryArea Area(int index) => s_areas[index];
        public static ulong BrkEnd => s_brk;

        public static void Initialize()
        {
            s_areas = new MemoryArea[64];
            s_count = 0;
            s_brk = BrkBase;
            s_noExecute = PageTables.NoExecuteSupported;
        }

        /// <summary>Records a segment of the app image (already mapped by the loader).</summary>
        public static void AddImage(ulong start, ulong end, int protection)
        {
            InsertSorted(new MemoryArea { Start = start, End = end, Protection = protection, Kind = MemoryAreaKind.Image });
        }

        /// <summary>The main thread's stack area; returns its top.</summary>
        public static ulong CreateMainStack()
        {
            InsertSorted(new MemoryArea { Start = StackTop - InitialStackSize, End = StackTop, Protection = MemoryArea.ProtRead | MemoryArea.ProtWrite, Kind = MemoryAreaKind.Stack });
            return StackTop;
        }

        // ---- mmap / munmap / mprotect / madvise / mremap / brk -------------------------------------

        /// <summary>mmap of anonymous memory: the address, or -errno.</summary>
        public static long Map(ulong hint, ulong length, int protection, bool fixedAddress, bool noReplace)
        {
            if (length == 0) return -Errno.EINVAL;
            ulong size = PageRoundUp(length);
            if (size == 0) return -Errno.ENOMEM;
            ulong start;
            if (fixedAddress || noReplace)
            {
                if ((hint & (PageSize - 1)) != 0) return -Errno.EINVAL;
                // As Linux: below vm.mmap_min_addr (here the kernel image's end) EPERM, beyond the window ENOMEM.
                if (hint < MemoryLayout.UserBase) return -Errno.EPERM;
                if (!InUserRange(hint, size)) return -Errno.ENOMEM;
                if (!IsFree(hint, hint + size))
                {
                    if (noReplace) return -Errno.EEXIST;
                    Release(hint, hint + size, true);
                }
                start = hint;
            }
            else
            {
                hint = hint & ~(PageSize - 1);
                start = hint >= MmapBase && InUserRange(hint, size) && IsFree(hint, hint + size) ? hint : FindGap(size);
                if (start == 0) return -Errno.ENOMEM;
            }
            InsertSorted(new MemoryArea { Start = start, End = start + size, Protection = protection, Kind = MemoryAreaKind.Anonymous });
            return (long)start;
        }

        public static long Unmap(ulong start, ulong length)
        {
            ulong end;
            if ((start & (PageSize - 1)) != 0 || length == 0 || !PageRange(start, length, out end)) return -Errno.EINVAL;
            if (!InUserRange(start, end - start)) return -Errno.EINVAL;
            Release(start, end, true);
            return 0;
        }

        public static long Protect(ulong start, ulong length, int protection)
        {
            if ((start & (PageSize - 1)) != 0) return -Errno.EINVAL;
            ulong end;
            if (!PageRange(start, length, out end)) return -Errno.ENOMEM;
            if (end == start) return 0;
            if (!InUserRange(start, end - start) || !IsFullyMapped(start, end)) return -Errno.ENOMEM;
            SplitAt(start);
            SplitAt(end);
            int changed = 0;
            for (int i = FirstEndingAfter(start); i < s_count && s_areas[i].Start < end; i++)
            {
                s_areas[i].Protection = protection;
                ulong flags = LeafFlags(protection);
                ulong areaEnd = s_areas[i].End;
                for (ulong page = s_areas[i].Start, next; page < areaEnd; page = next)
                {
                    ulong* entry = PageTables.WalkLeaves(page, areaEnd, out next);
                    if (entry == null) continue;
                    for (; page < next; page += PageSize, entry++)
                    {
                        if (!HoldsPage(*entry)) continue;
                        *entry = (*entry & PageTables.AddressMask) | flags;
                        changed = Invalidate(page, changed);
                    }
                }
            }
            FinishInvalidation(changed, start, end);
            MergeAll();
            return 0;
        }

        /// <summary>
        /// madvise: with <paramref name="discard"/> (MADV_DONTNEED/MADV_FREE) the pages go back and the next touch
        /// reads zeros; other advice is a hint, accepted for mapped ranges. Unmapped (and kernel) ranges: ENOMEM.
        /// </summary>
        public static long Advise(ulong start, ulong length, bool discard)
        {
            if ((start & (PageSize - 1)) != 0) return -Errno.EINVAL;
            ulong end;
            if (!PageRange(start, length, out end)) return -Errno.EINVAL;
            if (end == start) return 0;
            if (!InUserRange(start, end - start) || !IsFullyMapped(start, end)) return -Errno.ENOMEM;
            if (discard) Release(start, end, false);
            return 0;
        }

        public static long Remap(ulong oldAddress, ulong oldLength, ulong newLength, bool mayMove, bool fixedNew, ulong newAddress)
        {
            if ((oldAddress & (PageSize - 1)) != 0 || newLength == 0) return -Errno.EINVAL;
            ulong oldSize = PageRoundUp(oldLength), newSize = PageRoundUp(newLength);
            if (newSize == 0 || (oldSize == 0 && oldLength != 0)) return -Errno.EINVAL;   // a length that wraps around
            int index;
            if (!TryFind(oldAddress, out index) || oldAddress + oldSize > s_areas[index].End || oldSize == 0) return -Errno.EFAULT;
            MemoryArea area = s_areas[index];
            if (!area.OwnsPages) return -Errno.EFAULT;
            if (fixedNew)
            {
                // MREMAP_FIXED: nobody in our apps asks for it, but its target is refused as Linux would first.
                if (newAddress < MemoryLayout.UserBase && (newAddress & (PageSize - 1)) == 0) return -Errno.EPERM;
                return -Errno.EINVAL;
            }
            if (newSize <= oldSize)
            {
                if (newSize < oldSize) Release(oldAddress + newSize, oldAddress + oldSize, true);
                return (long)oldAddress;
            }
            ulong oldEnd = oldAddress + oldSize;
            if (oldEnd == area.End && InUserRange(oldAddress, newSize) && IsFree(oldEnd, oldAddress + newSize))
            {
                s_areas[index].End = oldAddress + newSize;
                return (long)oldAddress;
            }
            if (!mayMove) return -Errno.ENOMEM;
            ulong target = FindGap(newSize);
            if (target == 0) return -Errno.ENOMEM;
            int changed = 0;
            for (ulong page = oldAddress, next; page < oldEnd; page = next)
            {
                ulong* entry = PageTables.WalkLeaves(page, oldEnd, out next);
                if (entry == null) continue;
                for (; page < next; page += PageSize, entry++)
                {
                    if (!HoldsPage(*entry)) continue;
                    ulong* moved = PageTables.EnsureUserPageEntry(target + (page - oldAddress));
                    if (moved == null)
                    {
                        FinishInvalidation(changed, oldAddress, oldEnd);
                        OutOfMemory = true;
                        return -Errno.ENOMEM;
                    }
                    *moved = *entry;
                    *entry = 0;
                    changed = Invalidate(page, changed);
                }
            }
            FinishInvalidation(changed, oldAddress, oldEnd);
            SplitAt(oldAddress);
            SplitAt(oldEnd);
            int from = FirstEndingAfter(oldAddress);
            RemoveAt(from, 1);
            area.Start = target;
            area.End = target + newSize;
            if (area.Kind == MemoryAreaKind.Stack) area.Kind = MemoryAreaKind.Anonymous;
            InsertSorted(area);
            return (long)target;
        }

        /// <summary>brk(address): the new break, or the current one when the request cannot be met.</summary>
        public static ulong Brk(ulong requested)
        {
            if (requested < BrkBase || requested > BrkLimit) return s_brk;
            ulong oldEnd = PageRoundUp(s_brk), newEnd = PageRoundUp(requested);
            if (newEnd > oldEnd)
            {
                if (!IsFree(oldEnd, newEnd)) return s_brk;
                InsertSorted(new MemoryArea { Start = oldEnd, End = newEnd, Protection = MemoryArea.ProtRead | MemoryArea.ProtWrite, Kind = MemoryAreaKind.Heap });
                MergeAll();
            }
            else if (newEnd < oldEnd)
            {
                Release(newEnd, oldEnd, true);
            }
            s_brk = requested;
            return s_brk;
        }

        // ---- faults and checks ----------------------------------------------------------------------

        /// <summary>
        /// A page fault at <paramref name="address"/> (from the app, or from the kernel touching app memory
        /// on its behalf): true when the page is now there (first touch of an allowed page, or stack growth).
        /// False means a real access violation (or out of memory: see OutOfMemory).
        /// </summary>
        public static bool HandleFault(ulong address, bool write, bool execute, ulong userStackPointer)
        {
            int index;
            if (!TryFind(address, out index) && !GrowStack(address, userStackPointer, out index)) return false;
            MemoryArea area = s_areas[index];
            if (!area.Allows(write, execute) || !area.OwnsPages) return false;
            ulong page = address & ~(PageSize - 1);
            ulong* entry = PageTables.EnsureUserPageEntry(page);
            if (entry == null) { OutOfMemory = true; return false; }
            if ((*entry & PageTables.Present) != 0)
            {
                // Present and allowing the access: another CPU mapped it while this one waited for the kernel lock,
                // or this CPU's TLB still held the entry from before a change that widened it (mprotect, a commit:
                // only narrowing sends a shootdown). Drop the stale translation and let the access run again.
                bool permits = (*entry & PageTables.User) != 0 && (!write || (*entry & PageTables.Writable) != 0)
                               && (!execute || (*entry & PageTables.NoExecute) == 0);
                if (!permits) return false;   // a protection violation
                Cpu.InvalidatePage(page);
                return true;
            }
            ulong physical = *entry & PageTables.AddressMask;
            if (!HoldsPage(*entry))
            {
                ulong page0 = KernelMemory.Pages->AllocateZeroedPages(1);
                if (page0 == 0) { OutOfMemory = true; return false; }
                physical = MemoryLayout.ToPhysical(page0);
                CommittedPages++;
                if (CommittedPages > PeakCommittedPages) PeakCommittedPages = CommittedPages;
            }
            *entry = physical | LeafFlags(area.Protection);
            Cpu.InvalidatePage(page);
            return true;
        }

        /// <summary>Whether the app may access [address, address + length) (for pointers passed to system calls).</summary>
        public static bool IsAccessible(ulong address, ulong length, bool write)
        {
            if (length == 0) return true;
            if (address + length < address || !InUserRange(address, length)) return false;
            ulong end = address + length;
            int index;
            if (!TryFind(address, out index)) return false;
            for (ulong at = address; ; index++)
            {
                if (index >= s_count || s_areas[index].Start > at || !s_areas[index].Allows(write, false)) return false;
                at = s_areas[index].End;
                if (at >= end) return true;
            }
        }

        public static bool TryFind(ulong address, out int index)
        {
            index = FirstEndingAfter(address);
            return index < s_count && s_areas[index].Start <= address;
        }

        /// <summary>
        /// Grows the main stack's area down to cover <paramref name="address"/> when that is a legal stack
        /// growth (as a fault there would); the kernel calls it before writing a signal frame there.
        /// </summary>
        public static void GrowStackTo(ulong address, ulong userStackPointer)
        {
            int index;
            if (!TryFind(address, out index)) GrowStack(address, userStackPointer, out index);
        }

        // ---- internals ------------------------------------------------------------------------------

        private static bool GrowStack(ulong address, ulong userStackPointer, out int index)
        {
            index = FirstEndingAfter(address);
            if (index >= s_count || s_areas[index].Kind != MemoryAreaKind.Stack) return false;
            ulong newStart = address & ~(PageSize - 1);
            // Like Linux: only accesses near the stack pointer grow the stack, up to the limit.
            if (s_areas[index].End - newStart > StackLimit || address + 65536 + 256 < userStackPointer) return false;
            if (!IsFree(newStart, s_areas[index].Start)) return false;
            s_areas[index].Start = newStart;
            return true;
        }

        private static bool HoldsPage(ulong entry) => (entry & (PageTables.Present | PageTables.KeptWhileInaccessible)) != 0;

        private static ulong LeafFlags(int protection)
        {
            if (protection == 0) return PageTables.KeptWhileInaccessible;
            ulong flags = PageTables.Present | PageTables.User;
            if ((protection & MemoryArea.ProtWrite) != 0) flags |= PageTables.Writable;
            if ((protection & MemoryArea.ProtExec) == 0 && s_noExecute) flags |= PageTables.NoExecute;
            return flags;
        }

        // Releases [start, end): the pages of areas that own theirs go back to the allocator; with
        // removeAreas the areas go too (munmap), else they stay and read as zeros again (madvise).
        private static void Release(ulong start, ulong end, bool removeAreas)
        {
            SplitAt(start);
            SplitAt(end);
            int first = FirstEndingAfter(start), last = first;
            int changed = 0;
            for (; last < s_count && s_areas[last].Start < end; last++)
            {
                bool owned = s_areas[last].OwnsPages;
                // The image's pages are not the allocator's: madvise leaves them, munmap only unmaps them.
                if (!owned && !removeAreas) continue;
                ulong areaEnd = s_areas[last].End;
                for (ulong page = s_areas[last].Start, next; page < areaEnd; page = next)
                {
                    ulong* entry = PageTables.WalkLeaves(page, areaEnd, out next);
                    if (entry == null) continue;
                    for (; page < next; page += PageSize, entry++)
                    {
                        if (!HoldsPage(*entry)) continue;
                        if (owned)
                        {
                            KernelMemory.Pages->FreePages(MemoryLayout.ToDirectMap(*entry & PageTables.AddressMask), 1);
                            CommittedPages--;
                        }
                        *entry = 0;
                        changed = Invalidate(page, changed);
                    }
                }
            }
            FinishInvalidation(changed, start, end);
            if (removeAreas) RemoveAt(first, last - first);
            else MergeAll();
        }

        // Pages whose entries changed are invalidated here as they go (or all at once past FlushWholeTlbAbove);
        // the other CPUs get one shootdown for the range the call covered, [start, end), once the change is complete.
        private static int Invalidate(ulong page, int changed)
        {
            if (changed < FlushWholeTlbAbove) Cpu.InvalidatePage(page);
            return changed + 1;
        }

        private static void FinishInvalidation(int changed, ulong start, ulong end)
        {
            if (changed >= FlushWholeTlbAbove) Cpu.WriteCr3(Cpu.ReadCr3());
            if (changed > 0) TlbShootdown.FlushOthers(start, end);
        }

        private static bool InUserRange(ulong start, ulong length) => MemoryLayout.IsUserRange(start, length);

        private static ulong PageRoundUp(ulong value) => (value + PageSize - 1) & ~(PageSize - 1);

        // [start, end): length rounded up to whole pages; false when that wraps around the address space.
        private static bool PageRange(ulong start, ulong length, out ulong end)
        {
            ulong size = PageRoundUp(length);
            end = start + size;
            return (size != 0 || length == 0) && end >= start;
        }

        private static int FirstEndingAfter(ulong address)
        {
            int low = 0, high = s_count;
            while (low < high)
            {
                int mid = (low + high) / 2;
                if (s_areas[mid].End > address) high = mid; else low = mid + 1;
            }
            return low;
        }

        private static bool IsFree(ulong start, ulong end)
        {
            int i = FirstEndingAfter(start);
            return i >= s_count || s_areas[i].Start >= end;
        }

        private static bool IsFullyMapped(ulong start, ulong end)
        {
            int i = FirstEndingAfter(start);
            for (ulong at = start; at < end; i++)
            {
                if (i >= s_count || s_areas[i].Start > at) return false;
                at = s_areas[i].End;
            }
            return true;
        }

        private static ulong FindGap(ulong size)
        {
            if (size > MmapLimit - MmapBase) return 0;   // also keeps candidate + size below from wrapping
            ulong candidate = MmapBase;
            for (int i = FirstEndingAfter(MmapBase); i < s_count; i++)
            {
                if (s_areas[i].Start >= candidate && s_areas[i].Start - candidate >= size) break;
                if (s_areas[i].End > candidate) candidate = s_areas[i].End;
            }
            return candidate <= MmapLimit && size <= MmapLimit - candidate ? candidate : 0;
        }

        // Splits the area that strictly contains address into two at address.
        private static void SplitAt(ulong address)
        {
            int i;
            if (!TryFind(address, out i) || s_areas[i].Start == address) return;
            MemoryArea upper = s_areas[i];
            upper.Start = address;
            s_areas[i].End = address;
            InsertAt(i + 1, upper);
        }

        private static void InsertSorted(MemoryArea area)
        {
            InsertAt(FirstEndingAfter(area.Start), area);
            MergeAll();
        }

        private static void InsertAt(int index, MemoryArea area)
        {
            if (s_count == s_areas.Length)
            {
                var larger = new MemoryArea[s_areas.Length * 2];
                for (int i = 0; i < s_count; i++) larger[i] = s_areas[i];
                KernelMemory.Free(s_areas);
                s_areas = larger;
            }
            for (int i = s_count; i > index; i--) s_areas[i] = s_areas[i - 1];
            s_areas[index] = area;
            s_count++;
        }

        private static void RemoveAt(int index, int count)
        {
            if (count <= 0) return;
            for (int i = index; i + count < s_count; i++) s_areas[i] = s_areas[i + count];
            s_count -= count;
        }

        // Joins neighbours that touch and agree (GC commit/decommit patterns would otherwise fragment
        // the list into thousands of areas).
        private static void MergeAll()
        {
            // Runs after every mprotect and madvise: areas already in place are not copied onto themselves.
            int write = 0;
            for (int read = 0; read < s_count; read++)
            {
                ref MemoryArea area = ref s_areas[read];
                if (write > 0)
                {
                    ref MemoryArea previous = ref s_areas[write - 1];
                    if (previous.End == area.Start && previous.Kind == area.Kind && previous.Protection == area.Protection)
                    {
                        previous.End = area.End;
                        continue;
                    }
                }
                if (write != read) s_areas[write] = area;
                write++;
            }
            s_count = write;
        }
    }
}
