using System.Diagnostics;
using Iced.Intel;
using LibObjectFile.Elf;

namespace Unikernel.Boot.Tests;

/// <summary>The shim that gives musl the two glibc CPU-set helpers the NativeAOT runtime calls.</summary>
public class GlibcCompatShimTests
{
    private static readonly BootObjectFile Shim = new(ElfObjectWriter.Write(GlibcCompatShim.Build()));

    private static List<string> Disassemble(string symbol)
    {
        var s = Shim.Symbols.Single(x => x.Name == symbol);
        var bytes = Shim.Sections[GlibcCompatShim.SectionName].Bytes.AsSpan((int)s.Value, (int)s.Size).ToArray();
        var decoder = Decoder.Create(64, bytes);
        var formatter = new IntelFormatter();
        var lines = new List<string>();
        while (decoder.IP < (ulong)bytes.Length)
        {
            var output = new StringOutput();
            formatter.Format(decoder.Decode(), output);
            lines.Add(output.ToStringAndReset());
        }
        return lines;
    }

    [Fact]
    public void CpuAllocComputesGlibcsCpuAllocSizeAndTailCallsMalloc()
    {
        var code = Disassemble(GlibcCompatShim.CpuAlloc);
        Assert.Equal(new[] { "lea rax,[rdi+3Fh]", "shr rax,6", "lea rdi,[rax*8]" }, code.Take(3));
        Assert.StartsWith("jmp ", code[3]);   // its displacement is the PLT32 relocation below
        var reloc = Assert.Single(Shim.Relocations[GlibcCompatShim.SectionName], r => r.Target == "malloc");
        Assert.Equal(BootObjectFile.R_X86_64_PLT32, reloc.Type);
        Assert.Equal(-4, reloc.Addend);
    }

    [Fact]
    public void CpuFreeTailCallsFree()
    {
        Assert.Single(Disassemble(GlibcCompatShim.CpuFree));
        var free = Assert.Single(Shim.Relocations[GlibcCompatShim.SectionName], r => r.Target == "free");
        var symbol = Shim.Symbols.Single(x => x.Name == GlibcCompatShim.CpuFree);
        Assert.Equal(symbol.Value + 1, free.Offset);
    }

    [Fact]
    public void BothSymbolsAreGlobalFunctionsAndMallocFreeAreUndefined()
    {
        foreach (var name in new[] { GlibcCompatShim.CpuAlloc, GlibcCompatShim.CpuFree })
        {
            var s = Shim.Symbols.Single(x => x.Name == name);
            Assert.Equal(ElfSymbolType.Function, s.Type);
            Assert.Equal(ElfSymbolBind.Global, s.Bind);
            Assert.Equal(GlibcCompatShim.SectionName, s.Section);
        }
        Assert.All(new[] { "malloc", "free" }, n => Assert.Null(Shim.Symbols.Single(x => x.Name == n).Section));
    }

    // Reference check with the system toolchain (tests only): a C program that uses CPU_ALLOC, linked
    // statically against musl with our shim instead of glibc, behaves as glibc's would.
    [Fact]
    public void LinksAgainstMuslAndBehavesLikeGlibc()
    {
        Assert.True(File.Exists("/usr/bin/musl-gcc"), "musl-gcc is missing: tests/install-reference-tools.sh (run by `make test`) installs musl-tools");
        string dir = Directory.CreateTempSubdirectory("uk-shim-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "shim.o"), ElfObjectWriter.Write(GlibcCompatShim.Build()));
        File.WriteAllText(Path.Combine(dir, "main.c"), """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            void *__sched_cpualloc(size_t count);
            void __sched_cpufree(void *set);
            int main(void) {
                for (size_t n = 1; n <= 1025; n += 64) {
                    unsigned char *set = __sched_cpualloc(n);
                    size_t bytes = ((n + 63) / 64) * 8;
                    memset(set, 0xAB, bytes);            /* must be writable for the whole CPU_ALLOC_SIZE */
                    printf("%zu:%zu ", n, bytes);
                    __sched_cpufree(set);
                }
                printf("\n");
                return 0;
            }
            """);
        Run("musl-gcc", $"-static -O1 -o {dir}/prog {dir}/main.c {dir}/shim.o", dir);
        string output = Run($"{dir}/prog", "", dir);
        Assert.Equal("1:8 65:16 129:24 193:32 257:40 321:48 385:56 449:64 513:72 577:80 641:88 705:96 769:104 833:112 897:120 961:128 1025:136 \n", output);
    }

    private static string Run(string file, string args, string dir)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir })!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed ({p.ExitCode}): {stderr}");
        return stdout;
    }
}
