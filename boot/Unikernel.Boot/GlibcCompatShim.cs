using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The two glibc-only symbols the NativeAOT runtime archives reference (built against glibc), which
/// musl's libc.a does not define (field notes): glibc's CPU-set allocation helpers behind CPU_ALLOC
/// and CPU_FREE. Written as machine code so the app's link needs no C compiler.
/// <code>
/// cpu_set_t *__sched_cpualloc(size_t count) { return malloc(CPU_ALLOC_SIZE(count)); }  // ((count + 63) / 64) * 8
/// void __sched_cpufree(cpu_set_t *set) { free(set); }
/// </code>
/// </summary>
public static class GlibcCompatShim
{
    public const string SectionName = ".text.glibc_compat";
    public const string CpuAlloc = "__sched_cpualloc";
    public const string CpuFree = "__sched_cpufree";

    public static BootObject Build()
    {
        var code = new List<byte>();
        var relocations = new List<Relocation>();
        var symbols = new List<DefinedSymbol>();

        int allocStart = code.Count;
        var a = new Assembler(64);
        a.lea(rax, __[rdi + 63]);
        a.shr(rax, 6);
        a.lea(rdi, __[rax * 8]);
        Append(code, a);
        TailCall(code, relocations, "malloc");
        symbols.Add(new DefinedSymbol(CpuAlloc, SectionName, (ulong)allocStart, (ulong)(code.Count - allocStart), SymbolKind.Function, IsGlobal: true));

        int freeStart = code.Count;
        TailCall(code, relocations, "free");
        symbols.Add(new DefinedSymbol(CpuFree, SectionName, (ulong)freeStart, (ulong)(code.Count - freeStart), SymbolKind.Function, IsGlobal: true));

        var section = new SectionImage
        {
            Name = SectionName,
            Flavor = SectionFlavor.Code,
            Alignment = BootMemoryLayout.TextAlignment,
            Bytes = code.ToArray(),
        };
        section.Relocations.AddRange(relocations);
        var shim = new BootObject();
        shim.Sections.Add(section);
        shim.Symbols.AddRange(symbols);
        return shim;
    }

    private static void Append(List<byte> code, Assembler a)
    {
        var writer = new ByteCodeWriter();
        a.Assemble(writer, 0);
        code.AddRange(writer.Bytes);
    }

    // jmp rel32 to an external function; the displacement is the linker's (PLT32, like a C tail call).
    private static void TailCall(List<byte> code, List<Relocation> relocations, string target)
    {
        code.Add(0xE9);
        relocations.Add(new Relocation((ulong)code.Count, RelocationType.Plt32, RelocationTarget.Symbol(target), -4));
        code.AddRange(new byte[4]);
    }
}
