using System.Diagnostics;
using Iced.Intel;
using LibObjectFile.Elf;

namespace Unikernel.Boot.Tests;

/// <summary>The shim that gives musl the glibc-only symbols of the runtime archives and Debian's static libraries.</summary>
public class GlibcCompatShimTests
{
    private static readonly BootObjectFile Shim = new(ElfObjectWriter.Write(GlibcCompatShim.Build()));

    private static List<string> Disassemble(string symbol)
    {
        var s = Shim.Symbols.Single(x => x.Name == symbol);
        var bytes = Shim.Sections[s.Section!].Bytes.AsSpan((int)s.Value, (int)s.Size).ToArray();
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
        var reloc = Assert.Single(Shim.Relocations[GlibcCompatShim.SectionOf(GlibcCompatShim.CpuAlloc)], r => r.Target == "malloc");
        Assert.Equal(BootObjectFile.R_X86_64_PLT32, reloc.Type);
        Assert.Equal(-4, reloc.Addend);
    }

    [Fact]
    public void CpuFreeTailCallsFree()
    {
        Assert.Single(Disassemble(GlibcCompatShim.CpuFree));
        var free = Assert.Single(Shim.Relocations[GlibcCompatShim.SectionOf(GlibcCompatShim.CpuFree)], r => r.Target == "free");
        var symbol = Shim.Symbols.Single(x => x.Name == GlibcCompatShim.CpuFree);
        Assert.Equal(symbol.Value + 1, free.Offset);
    }

    [Fact]
    public void FunctionsAreGlobalAndOnlyLibcFunctionsAreUndefined()
    {
        var functions = Shim.Symbols.Where(x => x.Type == ElfSymbolType.Function).ToList();
        // One section each, so that --gc-sections keeps only what an app calls (and the libc it pulls).
        Assert.All(functions, f => Assert.Equal(GlibcCompatShim.SectionOf(f.Name), f.Section));
        Assert.All(functions, f => Assert.Equal(0UL, f.Value));
        Assert.All(functions.Where(f => !GlibcCompatShim.LargeFileAliases.Contains(f.Name)),
            f => Assert.Equal(ElfSymbolBind.Global, f.Bind));
        var undefined = Shim.Symbols.Where(x => x.Section is null && x.Name.Length > 0).Select(x => x.Name).ToHashSet();
        var musl = MuslDefinitions();
        Assert.All(undefined, n => Assert.Contains(n, musl));
    }

    // Each large-file name is a weak tail call of its musl name, so musl versions that still define it keep theirs.
    [Fact]
    public void LargeFileAliasesAreWeakTailCallsOfTheNameWithout64()
    {
        foreach (var alias in GlibcCompatShim.LargeFileAliases)
        {
            var symbol = Shim.Symbols.Single(x => x.Name == alias);
            var relocations = Shim.Relocations[symbol.Section!];
            Assert.Equal(ElfSymbolBind.Weak, symbol.Bind);
            Assert.StartsWith("jmp ", Assert.Single(Disassemble(alias)));
            var reloc = Assert.Single(relocations, r => r.Offset == symbol.Value + 1);
            Assert.Equal(alias[..^2], reloc.Target);
            Assert.Equal(BootObjectFile.R_X86_64_PLT32, reloc.Type);
        }
    }

    // libstdc++ reads __libc_single_threaded (0 = use atomics, right whatever the thread count) and
    // passes __dso_handle to __cxa_atexit; crtbegin.o, when a link has one, wins over the weak 0.
    [Fact]
    public void DataSymbolsAreZeroAndDsoHandleIsWeak()
    {
        var single = Shim.Symbols.Single(x => x.Name == GlibcCompatShim.SingleThreaded);
        var dso = Shim.Symbols.Single(x => x.Name == GlibcCompatShim.DsoHandle);
        Assert.Equal((ElfSymbolType.Object, ElfSymbolBind.Global, 1UL), (single.Type, single.Bind, single.Size));
        Assert.Equal((ElfSymbolType.Object, ElfSymbolBind.Weak, 8UL), (dso.Type, dso.Bind, dso.Size));
        var data = Shim.Sections[GlibcCompatShim.DataSectionName].Bytes;
        Assert.Equal(0, data[(int)single.Value]);
        Assert.All(data.AsSpan((int)dso.Value, 8).ToArray(), b => Assert.Equal(0, b));
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

    // The fortified functions against glibc's own: one C program (GlibcCompat/shim_check.c) calls every
    // shim function on its normal path and its failing path, built with gcc against glibc and with
    // musl-gcc against musl + the shim. Output, exit signals and stderr messages must be the same.
    [Fact]
    public void EveryFunctionBehavesLikeGlibcs()
    {
        string dir = Directory.CreateTempSubdirectory("uk-shim-").FullName;
        string source = Path.Combine(AppContext.BaseDirectory, "GlibcCompat", "shim_check.c");
        File.WriteAllBytes(Path.Combine(dir, "shim.o"), ElfObjectWriter.Write(GlibcCompatShim.Build()));
        Run("gcc", $"-O0 -fno-builtin -w -o {dir}/glibc {source}", dir);
        Run("musl-gcc", $"-DSHIM -O0 -fno-builtin -w -c -o {dir}/check.o {source}", dir);
        Run("musl-gcc", $"-static -o {dir}/musl {dir}/check.o {dir}/shim.o", dir);

        // Every shim function is exercised, except the CPU-set helpers (test above) and the large-file
        // aliases, which musl 1.2.3 still defines and which the program samples.
        var exercised = Run("nm", $"-u {dir}/check.o", dir).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' ').Last()).ToHashSet();
        var untested = Shim.Symbols.Where(x => x.Type == ElfSymbolType.Function)
            .Select(x => x.Name)
            .Where(n => !GlibcCompatShim.LargeFileAliases.Contains(n) && n is not GlibcCompatShim.CpuAlloc and not GlibcCompatShim.CpuFree)
            .Where(n => !exercised.Contains(n));
        Assert.Empty(untested);
        Assert.Contains(GlibcCompatShim.SingleThreaded, exercised);

        string glibc = Run($"{dir}/glibc", "", dir);
        string musl = Run($"{dir}/musl", "", dir);
        // What glibc cannot be asked (its __fortify_fail is private) or does differently on purpose (the shim
        // has no ucontext switching): lines the program marks "shim only".
        var muslLines = musl.Split('\n').ToList();
        Assert.Equal(new[]
        {
            "shim only, getcontext: -1 Function not implemented",
            "shim only, setcontext: -1 Function not implemented",
            "shim only, __fortify_fail: SIGABRT, stderr \"*** any text ***: terminated\"",
        }, muslLines.Where(l => l.StartsWith("shim only, ")));
        muslLines.RemoveAll(l => l.StartsWith("shim only, "));
        Assert.Equal(glibc, string.Join('\n', muslLines));
        Assert.Contains("memcpy_chk overflow: SIGABRT, stderr \"*** buffer overflow detected ***: terminated\"", glibc);
        Directory.Delete(dir, recursive: true);
    }

    // The symbols Debian's static libraries (built against glibc 2.36 with _FORTIFY_SOURCE=2) leave
    // undefined, minus what the libraries themselves, musl and libgcc define: all must be in the shim,
    // except the few named here with the reason they are not.
    [Theory]
    [InlineData("libsqlite3-dev", "/usr/lib/x86_64-linux-gnu/libsqlite3.a")]
    [InlineData("zlib1g-dev", "/usr/lib/x86_64-linux-gnu/libz.a")]
    [InlineData("libssl-dev", "/usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libcrypto.a /usr/lib/x86_64-linux-gnu/libz.a")]
    [InlineData("libicu-dev", "/usr/lib/x86_64-linux-gnu/libicuuc.a /usr/lib/x86_64-linux-gnu/libicui18n.a /usr/lib/x86_64-linux-gnu/libicudata.a /usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a")]
    public void DebianArchivesFindEveryGlibcSymbolInTheShim(string package, string archives)
    {
        var paths = archives.Split(' ');
        Assert.True(paths.All(File.Exists), $"{package} is not installed (the Makefile's PACKAGES list installs it)");
        var defined = MuslDefinitions();
        defined.UnionWith(Shim.Symbols.Where(x => x.Section is not null).Select(x => x.Name));
        foreach (var path in paths)
            defined.UnionWith(Nm("--defined-only", path));
        var missing = paths.SelectMany(p => Nm("--undefined-only", p)).Where(n => !defined.Contains(n)).ToHashSet();
        // _GLOBAL_OFFSET_TABLE_ is the linker's. __cxa_thread_atexit_impl (thread_local objects with
        // destructors, libstdc++'s atexit_thread.o) is not in the shim yet: a C++ library that needs it
        // fails to link with that name undefined.
        missing.ExceptWith(new[] { "_GLOBAL_OFFSET_TABLE_", "__cxa_thread_atexit_impl" });
        Assert.Empty(missing);
    }

    private static HashSet<string> MuslDefinitions()
    {
        var names = Nm("--defined-only", "/usr/lib/x86_64-linux-musl/libc.a");
        foreach (var lib in new[] { "libgcc.a", "libgcc_eh.a" })
            names.UnionWith(Nm("--defined-only", Path.Combine("/usr/lib/gcc/x86_64-linux-gnu/12", lib)));
        return names;
    }

    // Strong references only: weak undefined symbols (libstdc++'s _ITM_* transactional-memory hooks) may stay 0.
    private static HashSet<string> Nm(string filter, string archive)
    {
        var p = Process.Start(new ProcessStartInfo("nm", $"-g {filter} {archive}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && !parts[^1].EndsWith(':') && parts[^2] != "w" && parts[^2] != "v")
                names.Add(parts[^1]);
        }
        return names;
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
