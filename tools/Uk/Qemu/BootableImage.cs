using Unikernel.Tools.Inspect;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// What `uk run` can see about an image before it starts QEMU: an x86-64 ELF executable, whole (not truncated), with the
/// PVH entry note QEMU's -kernel needs, whose segments fit the guest RAM asked for. QEMU would refuse most of these with a
/// message of its own, or boot a guest that dies at once (an app placed beyond RAM): uk says what is wrong first.
/// </summary>
public static class BootableImage
{
    private const ushort ExecutableType = 2, X86_64 = 62;

    /// <summary>Null when the image looks bootable with <paramref name="memoryBytes"/> of RAM, else the reason, one line.</summary>
    public static string? Problem(string path, ulong memoryBytes)
    {
        ElfFile elf;
        try { elf = ElfFile.Read(path); }
        catch (NotAnElfException e) { return e.Message; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return e.Message; }
        if (elf.Type != ExecutableType) return "not a bootable image: an ELF file, but not an executable (e_type is not ET_EXEC)";
        if (elf.Machine != X86_64) return $"not a bootable image: built for ELF machine {elf.Machine}, not x86-64";
        if (elf.Damage is { } damage) return damage;
        if (!elf.HasPvhNote) return "not a bootable image: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's -kernel needs";
        var loads = elf.Loads.Where(p => p.MemorySize > 0).ToList();
        if (loads.Count == 0) return "not a bootable image: no loadable segment";
        var last = loads.MaxBy(p => p.PhysicalAddress + p.MemorySize)!;
        ulong end = last.PhysicalAddress + last.MemorySize;
        if (end > memoryBytes)
            return $"-m {Mib(memoryBytes)} is too small for this image: its segment {last.Index} ends at {Mib(end)} of guest memory (give at least {Mib(end)}, and room for the app to run)";
        return null;
    }

    private static string Mib(ulong bytes)
        => bytes % (1UL << 20) == 0 ? $"{bytes >> 20}M" : $"{bytes / (double)(1UL << 20):0.##}M";
}
