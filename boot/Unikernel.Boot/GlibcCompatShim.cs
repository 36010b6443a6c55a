using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Boot;

/// <summary>
/// The glibc-only symbols that archives built against glibc reference and musl's libc.a does not
/// define, as machine code so that an app's link needs no C compiler. uk-cc links it into every app.
/// Who needs what (docs/native-libraries.md): the NativeAOT runtime archives need glibc's CPU-set
/// helpers; Debian's static libraries, compiled with _FORTIFY_SOURCE=2, need the <c>__*_chk</c>
/// family, <c>fcntl64</c> (glibc's headers rename <c>fcntl</c>), and libstdc++ needs
/// <c>__libc_single_threaded</c>, <c>__dso_handle</c> and <c>arc4random</c>.
/// Each fortified function checks its bound as glibc's does, fails the way glibc's does
/// (<c>*** buffer overflow detected ***: terminated</c> on stderr, then abort), and otherwise does
/// the work through musl's plain function.
/// </summary>
public static partial class GlibcCompatShim
{
    public const string SectionName = ".text.glibc_compat";
    public const string DataSectionName = ".data.glibc_compat";
    public const string CpuAlloc = "__sched_cpualloc";
    public const string CpuFree = "__sched_cpufree";
    public const string ChkFail = "__chk_fail";
    public const string SingleThreaded = "__libc_single_threaded";
    public const string DsoHandle = "__dso_handle";

    public const string FortifyFail = "__fortify_fail";

    // glibc's __fortify_fail texts; it prints "*** <text> ***: terminated" and aborts.
    public const string BufferOverflow = "buffer overflow detected";
    public const string LongjmpBelowStack = "longjmp causes uninitialized stack frame";
    public const string FdSetRange = "bit out of range 0 - FD_SETSIZE on fd_set";

    /// <summary>Large-file names glibc keeps and musl 1.2.4 dropped from its link-time symbols; on x86-64
    /// each is the same function as the name without 64. Weak, so a libc that still has them wins.</summary>
    public static readonly string[] LargeFileAliases =
    {
        "creat64", "open64", "openat64", "fopen64", "freopen64", "tmpfile64", "fseeko64", "ftello64", "fgetpos64",
        "fsetpos64", "lseek64", "pread64", "pwrite64", "preadv64", "pwritev64", "truncate64", "ftruncate64", "stat64",
        "fstat64", "lstat64", "fstatat64", "statfs64", "fstatfs64", "statvfs64", "fstatvfs64", "mmap64", "readdir64",
        "readdir64_r", "scandir64", "alphasort64", "versionsort64", "getrlimit64", "setrlimit64", "prlimit64",
        "posix_fadvise64", "posix_fallocate64", "fallocate64", "lockf64", "sendfile64", "ftw64", "nftw64",
        "mkstemp64", "mkostemp64", "mkstemps64", "mkostemps64",
    };

    public static BootObject Build()
    {
        var s = new ShimAssembler(SectionName, ChkFail);
        EmitFailure(s);
        EmitCpuSet(s);
        EmitMemoryChecks(s);
        EmitStringChecks(s);
        EmitPrintfChecks(s);
        EmitIoChecks(s);
        EmitOthers(s);

        // glibc's flag is 1 while the process has one thread, and libstdc++ then skips atomic reference
        // counting; musl cannot tell us when a thread starts, so it stays 0 ("maybe shared"), always safe.
        // __dso_handle is crtbegin.o's, which uk-cc does not link; 0 is its value in a static executable.
        var data = new SectionImage
        {
            Name = DataSectionName,
            Flavor = SectionFlavor.Data,
            Alignment = 8,
            Bytes = new byte[16],
        };

        var shim = new BootObject();
        shim.Sections.AddRange(s.Sections);
        shim.Sections.Add(data);
        shim.Symbols.AddRange(s.Symbols);
        shim.Symbols.Add(new DefinedSymbol(DsoHandle, DataSectionName, 0, 8, SymbolKind.Object, IsGlobal: true, IsWeak: true));
        shim.Symbols.Add(new DefinedSymbol(SingleThreaded, DataSectionName, 8, 1, SymbolKind.Object, IsGlobal: true));
        return shim;
    }

    /// <summary>The section that holds one of the shim's functions.</summary>
    public static string SectionOf(string function) => ShimAssembler.SectionOf(SectionName, function);

    // void __fortify_fail(const char *text): glibc's failure report, "*** text ***: terminated" on stderr in
    // one writev, then abort. It realigns the stack itself because checks reach it from any depth.
    private static void EmitFailure(ShimAssembler s)
    {
        s.Function(FortifyFail, () =>
        {
            var a = s.Asm;
            a.and(rsp, -16);
            a.sub(rsp, 64);
            a.mov(__qword_ptr[rsp + 48], rdi);
            s.Call("strlen");
            a.lea(rcx, __[s.LabelOf("prefix")]);
            a.mov(__qword_ptr[rsp], rcx);
            a.mov(__qword_ptr[rsp + 8], 4);
            a.mov(rcx, __qword_ptr[rsp + 48]);
            a.mov(__qword_ptr[rsp + 16], rcx);
            a.mov(__qword_ptr[rsp + 24], rax);
            a.lea(rcx, __[s.LabelOf("suffix")]);
            a.mov(__qword_ptr[rsp + 32], rcx);
            a.mov(__qword_ptr[rsp + 40], Suffix.Length);
            a.mov(edi, 2);
            a.mov(rsi, rsp);
            a.mov(edx, 3);
            s.Call("writev");
            s.Call("abort");
            a.int3();
            s.Bind("prefix");
            a.db(Encoding.ASCII.GetBytes("*** "));
            s.Bind("suffix");
            a.db(Encoding.ASCII.GetBytes(Suffix));
        });
        s.Function(ChkFail, () => FailWith(s, BufferOverflow));
    }

    private const string Suffix = " ***: terminated\n";

    /// <summary>__fortify_fail(text) with the text stored in the calling function's own section.</summary>
    private static void FailWith(ShimAssembler s, string text)
    {
        const string label = "text";
        s.Asm.lea(rdi, __[s.LabelOf(label)]);
        s.TailCall(FortifyFail);
        s.Bind(label);
        s.Asm.db(Encoding.ASCII.GetBytes(text + "\0"));
    }

    // cpu_set_t *__sched_cpualloc(size_t count) { return malloc(((count + 63) / 64) * 8); }   (CPU_ALLOC)
    // void __sched_cpufree(cpu_set_t *set) { free(set); }                                     (CPU_FREE)
    private static void EmitCpuSet(ShimAssembler s)
    {
        var a = s.Asm;
        s.Function(CpuAlloc, () =>
        {
            a.lea(rax, __[rdi + 63]);
            a.shr(rax, 6);
            a.lea(rdi, __[rax * 8]);
            s.TailCall("malloc");
        });
        s.Function(CpuFree, () => s.TailCall("free"));
    }

    /// <summary>A check "needed &lt;= bound (unsigned), else __chk_fail", then a tail call with the
    /// arguments rearranged by <paramref name="shuffle"/>: the shape of most fortified functions.</summary>
    private static void BoundedTailCall(ShimAssembler s, string name, AssemblerRegister64 needed, AssemblerRegister64 bound,
        string target, Action? shuffle = null)
    {
        s.Function(name, () =>
        {
            s.Asm.cmp(bound, needed);
            s.Asm.jb(s.Fail);
            shuffle?.Invoke();
            s.TailCall(target);
        });
    }
}
