namespace Hostile;

/// <summary>
/// mmap, munmap, mprotect, madvise, mremap and brk over the kernel's ranges, and the pipe trick of issue 12 (a
/// pipe's write end reading kernel memory out, its read end writing into it). The expected answers are Linux's
/// for ranges outside the user window (EPERM below mmap_min_addr, ENOMEM beyond the top, EINVAL for munmap),
/// with our window's base, 4 MiB, as mmap_min_addr.
/// </summary>
internal static class MemoryAttacks
{
    private const long Page = 4096, Huge = unchecked((long)0xFFFF_FFFF_FFFF_F000);
    private const int Rw = Sys.ProtRead | Sys.ProtWrite, Anonymous = Sys.MapPrivate | Sys.MapAnonymous;

    /// <summary>The ones that leave the address space as it was even on a kernel that wrongly accepts them.</summary>
    public static void RunMaps(AttackRun run)
    {
        void Fixed(string name, long address, long length, int extraFlags = Sys.MapFixed)
        {
            run.Attack(name, () =>
            {
                long r = Sys.Call(Sys.Mmap, address, length, Rw, Anonymous | extraFlags, -1, 0);
                if (r >= 0 || r < -4095) { run.ForgetMapping(r, length); return $"OK (mapped at 0x{r:x})"; }
                return Sys.Outcome(r);
            });
        }

        Fixed("mmap-fixed-page0", KernelRanges.Page0, Page);
        Fixed("mmap-fixed-64k", 0x1_0000, Page);
        Fixed("mmap-fixed-kernel-image", KernelRanges.KernelImage, 0x7_0000);
        Fixed("mmap-fixed-kernel-image-end", KernelRanges.KernelImageEnd, Page);
        // NOREPLACE: natively the page above is the executable's own, which MAP_FIXED would replace.
        Fixed("mmap-fixed-noreplace-across-user-base", KernelRanges.KernelImageEnd, 2 * Page, Sys.MapFixedNoReplace);
        Fixed("mmap-fixed-noreplace-kernel-image", KernelRanges.KernelImage, Page, Sys.MapFixedNoReplace);
        Fixed("mmap-fixed-noreplace-page0", KernelRanges.Page0, Page, Sys.MapFixedNoReplace);
        Fixed("mmap-fixed-upper-half", KernelRanges.UpperHalf, Page);
        Fixed("mmap-fixed-upper-kernel-image", KernelRanges.UpperKernelImage, Page);
        Fixed("mmap-fixed-noreplace-upper-half", KernelRanges.UpperHalf, Page, Sys.MapFixedNoReplace);
        Fixed("mmap-fixed-top-page", KernelRanges.TopPage, Page);
        Fixed("mmap-fixed-non-canonical-low", KernelRanges.NonCanonicalLow, Page);
        Fixed("mmap-fixed-non-canonical-high", KernelRanges.NonCanonicalHigh, Page);
        Fixed("mmap-fixed-across-user-limit", 0x7FFF_FFFF_0000, 0x2_0000);
        Fixed("mmap-fixed-length-overflow", 0x4000_0000, unchecked((long)0xFFFF_FFFF_FFFF_0000));
        Fixed("mmap-length-overflow", 0, Huge, 0);
        Fixed("mmap-length-wraps-to-zero", 0, -1, 0);

        // A hint outside the window is only a hint: the mapping goes where the kernel likes, inside the window.
        foreach (var (name, hint) in new[] { ("kernel-image", KernelRanges.KernelImage), ("upper-half", KernelRanges.UpperHalf), ("non-canonical", KernelRanges.NonCanonicalLow) })
        {
            run.Attack($"mmap-hint-{name}", () =>
            {
                long r = Sys.Call(Sys.Mmap, hint, Page, Rw, Anonymous, -1, 0);
                if (r < 0 && r > -4096) return Sys.Outcome(r);
                run.ForgetMapping(r, Page);
                return r == hint ? $"HONORED (0x{r:x})" : r >= KernelRanges.UserBase && r < KernelRanges.NonCanonicalLow ? $"IGNORED (0x{r:x})" : $"OUTSIDE (0x{r:x})";
            });
        }

        // The pipe trick, right after the MAP_FIXED attempts over the kernel image: the kernel's code leaving
        // through a pipe, and a pipe's bytes landing on it. The second writes back what the first read (or
        // nothing, if the first was refused) so a kernel that allows both is not also broken by the test.
        run.Attack("pipe-write-from-kernel-image", () => PipeTrick(run, fromKernel: true));
        run.Attack("pipe-read-into-kernel-image", () => PipeTrick(run, fromKernel: false));
    }

    private static unsafe string PipeTrick(AttackRun run, bool fromKernel)
    {
        int* p = stackalloc int[2];
        if (Sys.Call(Sys.Pipe2, (long)p, Sys.ONonblock) != 0) return "ERROR (pipe2)";
        try
        {
            if (fromKernel) return Sys.Outcome(Sys.Call(Sys.Write, p[1], KernelRanges.KernelImage, 16));
            long leaked = Sys.Call(Sys.Write, p[1], KernelRanges.KernelImage, 16);
            if (leaked != 16)
            {
                byte* zeros = stackalloc byte[16];
                new Span<byte>(zeros, 16).Clear();
                Sys.Call(Sys.Write, p[1], (long)zeros, 16);   // what lands there if the kernel lets it
            }
            return Sys.Outcome(Sys.Call(Sys.Read, p[0], KernelRanges.KernelImage, 16));
        }
        finally
        {
            Sys.Call(Sys.Close, p[0]);
            Sys.Call(Sys.Close, p[1]);
        }
    }

    /// <summary>Device addresses are user addresses in our layout: mapping them gives private zero pages.</summary>
    public static unsafe void RunDeviceAddresses(AttackRun run)
    {
        foreach (var (name, address) in new[] { ("lapic-physical", KernelRanges.LapicPhysical), ("ioapic-physical", KernelRanges.IoapicPhysical) })
        {
            run.Attack($"mmap-fixed-{name}", () =>
            {
                long r = Sys.Call(Sys.Mmap, address, Page, Rw, Anonymous | Sys.MapFixedNoReplace, -1, 0);
                if (r < 0 && r > -4096) return Sys.Outcome(r);
                ulong* words = (ulong*)r;
                bool zero = true;
                for (int i = 0; i < (int)(Page / 8); i++) zero &= words[i] == 0;
                words[0] = 0x1234_5678;
                bool private_ = words[0] == 0x1234_5678;
                run.ForgetMapping(r, Page);
                return zero && private_ && r == address ? "OK (a private zero page)" : $"DEVICE (zero {zero}, kept write {private_}, at 0x{r:x})";
            });
        }
    }

    /// <summary>
    /// The calls that, on a kernel without the boundary, clear or re-protect the kernel's own mappings (issue 12
    /// saw a triple fault and a hang): run last, after everything that can report without them.
    /// </summary>
    public static void RunDestructive(AttackRun run)
    {
        var ranges = new (string Name, long Address, long Length)[]
        {
            ("page0", KernelRanges.Page0, Page),
            ("kernel-image", KernelRanges.KernelImage, 0x30_0000),
            ("upper-half", KernelRanges.UpperHalf, Page),
            ("upper-kernel-image", KernelRanges.UpperKernelImage, Page),
            ("non-canonical-low", KernelRanges.NonCanonicalLow, Page),
            ("non-canonical-high", KernelRanges.NonCanonicalHigh, Page),
            ("length-overflow", 0x4000_0000, Huge),
        };
        foreach (var (name, address, length) in ranges)
        {
            run.Attack($"mprotect-{name}", () => Sys.Outcome(Sys.Call(Sys.Mprotect, address, length, Rw)));
            run.Attack($"madvise-dontneed-{name}", () => Sys.Outcome(Sys.Call(Sys.Madvise, address, length, Sys.MadvDontneed)));
            run.Attack($"madvise-free-{name}", () => Sys.Outcome(Sys.Call(Sys.Madvise, address, length, Sys.MadvFree)));
            run.Attack($"mremap-{name}", () => Remap(run, address, length == Huge ? Page : length));
        }
        run.Attack("mprotect-across-user-base", () => Sys.Outcome(Sys.Call(Sys.Mprotect, KernelRanges.KernelImageEnd, 2 * Page, Rw)));
        run.Attack("mremap-to-kernel-image", () => RemapTo(run, KernelRanges.KernelImage));
        run.Attack("mremap-to-upper-half", () => RemapTo(run, KernelRanges.UpperHalf));

        foreach (var (name, address) in new[] { ("kernel-image", KernelRanges.KernelImage), ("upper-half", KernelRanges.UpperHalf), ("non-canonical", KernelRanges.NonCanonicalLow), ("top-page", KernelRanges.TopPage) })
        {
            run.Attack($"brk-{name}", () =>
            {
                long before = Sys.Call(Sys.Brk, 0);
                long after = Sys.Call(Sys.Brk, address);
                return after == before ? "UNCHANGED" : $"MOVED (0x{before:x} -> 0x{after:x})";
            });
        }

        // munmap last of all: on a kernel without the boundary it takes the kernel's own mappings away.
        foreach (var (name, address, length) in ranges)
            run.Attack($"munmap-{name}", () => Sys.Outcome(Sys.Call(Sys.Munmap, address, length)));
        run.Attack("munmap-across-user-limit", () => Sys.Outcome(Sys.Call(Sys.Munmap, 0x7FFF_FFFF_F000, 2 * Page)));
        run.Attack("munmap-wrapping", () => Sys.Outcome(Sys.Call(Sys.Munmap, KernelRanges.TopPage, 2 * Page)));
    }

    private static string Remap(AttackRun run, long address, long length)
    {
        long r = Sys.Call(Sys.Mremap, address, length, 2 * length, Sys.MremapMaymove, 0);
        if (r >= 0 || r < -4095) { run.ForgetMapping(r, 2 * length); return $"OK (0x{r:x})"; }
        return Sys.Outcome(r);
    }

    private static string RemapTo(AttackRun run, long target)
    {
        long source = Sys.Call(Sys.Mmap, 0, Page, Rw, Anonymous, -1, 0);
        if (source < 0 && source > -4096) return "ERROR (mmap)";
        long r = Sys.Call(Sys.Mremap, source, Page, Page, Sys.MremapMaymove | Sys.MremapFixed, target);
        if (r >= 0 || r < -4095) { run.ForgetMapping(r, Page); return $"OK (0x{r:x})"; }
        Sys.Call(Sys.Munmap, source, Page);
        return Sys.Outcome(r);
    }
}
