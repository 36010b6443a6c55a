using System.Buffers.Binary;
using System.Text;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Differential tests of <c>uk-ld -static</c>: each C fixture (Fixtures/Musl) is compiled once with
/// musl-gcc, linked by GNU ld and by uk-ld with the same command line, and both programs must print the
/// same stdout and stderr and exit with the same status.
/// </summary>
public sealed class StaticExecutableTests : IClassFixture<MuslToolchain>
{
    private readonly MuslToolchain _tools;

    public StaticExecutableTests(MuslToolchain tools) => _tools = tools;

    private (int ExitCode, string StdOut, string StdErr) RunBoth(string name, string[] options, params string[] objects) =>
        RunBoth(name, options, objects, objects);

    private (int ExitCode, string StdOut, string StdErr) RunBoth(string name, string[] options, string[] referenceObjects,
        string[] objects)
    {
        var reference = MuslToolchain.Execute(_tools.LinkWithGnuLd(name, options, referenceObjects));
        var ours = MuslToolchain.Execute(_tools.LinkWithUkLd(name, options, objects));
        Assert.Equal(reference.StdOut, ours.StdOut);
        Assert.Equal(reference.StdErr, ours.StdErr);
        Assert.Equal(reference.ExitCode, ours.ExitCode);
        return ours;
    }

    [MuslFact]
    public void TlsConstructorPrioritiesDestructorsAtexitAndFloatsMatchGnuLd()
    {
        var result = RunBoth("tls_ctors", [], _tools.Object("tls_ctors"));
        var tls = Assert.Single(ProgramHeaders(File.ReadAllBytes(Path.Combine(_tools.Directory, "tls_ctors.uk"))), h => h.Type == 7);
        Assert.Equal(64UL, tls.Alignment);
        Assert.Equal(7, result.ExitCode);
        Assert.StartsWith("constructor 101\nconstructor 202\nconstructor default\ncounter=43 zeroed=0,5 label=tls aligned=7 (0)\n",
            result.StdOut);
        Assert.EndsWith("atexit: counter=43\ndestructor default\ndestructor 101\n", result.StdOut);
    }

    [MuslFact]
    public void GeneralDynamicLocalDynamicInitialExecAndGotCallsFromPicCodeAreRelaxed()
    {
        // -fPIC -fno-plt: TLSGD/TLSLD/GOTTPOFF with the indirect __tls_get_addr call, call/jmp *GOTPCREL.
        string pic = _tools.Object("tls_models", "-fPIC", "-fno-plt");
        var result = RunBoth("tls_models", [], pic, _tools.Object("tls_models_main"));
        Assert.Equal("gd=11 ld=6,2 ie=102 tail=8\nsum=121\n", result.StdOut);

        // The classic direct-call GD/LD sequences (data16 ... call __tls_get_addr@PLT).
        string plt = _tools.Object("tls_models", "-fPIC");
        RunBoth("tls_models_plt", [], plt, _tools.Object("tls_models_main"));
    }

    [MuslFact]
    public void WeakDefinitionsAndWeakUndefinedMatchGnuLd()
    {
        var result = RunBoth("weak", [], _tools.Object("weak"), _tools.Object("weak_strong"));
        Assert.Equal("overridden=100 kept=2 missing=null data=null\n", result.StdOut);
    }

    [MuslFact]
    public void FirstComdatGroupWinsLikeGnuLd()
    {
        var result = RunBoth("comdat", [], _tools.Object("comdat_a"), _tools.Object("comdat_b"));
        Assert.Equal("pick=7 other=8\n", result.StdOut);
    }

    [MuslFact]
    public void SetjmpStdioSectionBoundsEhdrStartAndUnwindingMatchGnuLd()
    {
        var result = RunBoth("jump_stdio", [], _tools.Object("jump_stdio"));
        Assert.Contains("longjmp returned 42\nread 20 bytes: hello file\n123 4.50\nitems=2 sum=33\nehdr magic=ELF\n",
            result.StdOut);
    }

    [MuslFact]
    public void GcSectionsDropsUnusedCodeAndKeepsProgramsWorking()
    {
        string[] sections = ["-ffunction-sections", "-fdata-sections"];
        string gc = _tools.Object("gc", sections);
        RunBoth("gc", ["--gc-sections"], gc);
        RunBoth("gc_tls", ["--gc-sections"], _tools.Object("tls_ctors", sections));
        RunBoth("gc_jump", ["--gc-sections"], _tools.Object("jump_stdio", sections));

        var symbols = Symbols(Path.Combine(_tools.Directory, "gc.uk"));
        Assert.Contains("used_function", symbols);
        Assert.DoesNotContain("unused_function", symbols);
        Assert.DoesNotContain("unused_data", symbols);
        // Without --gc-sections the same object keeps them.
        string kept = _tools.LinkWithUkLd("gc_off", [], gc);
        Assert.Contains("unused_function", Symbols(kept));
    }

    [MuslFact]
    public void ArchiveMembersAreExtractedOnDemandInCommandLineOrder()
    {
        string library = _tools.Archive("libdemo.a", _tools.Object("archive_unused"), _tools.Object("archive_used"),
            _tools.Object("archive_helper"));
        var result = RunBoth("archive", [], _tools.Object("archive_main"), library);
        Assert.Equal("archive=70\n", result.StdOut);
        var symbols = Symbols(Path.Combine(_tools.Directory, "archive.uk"));
        Assert.Contains("archive_helper", symbols);
        Assert.DoesNotContain("never_referenced", symbols);
    }

    [MuslFact]
    public void LibrariesAreFoundWithMinusLAndMinusSmallL()
    {
        string library = _tools.Archive("libdemo2.a", _tools.Object("archive_used"), _tools.Object("archive_helper"));
        string output = Path.Combine(_tools.Directory, "minus_l.uk");
        var options = CommandLine.Parse(["-static", "-o", output, .. MuslToolchain.StartFiles, _tools.Object("archive_main"),
            "-L", Path.GetDirectoryName(library)!, "-ldemo2", .. MuslToolchain.Libraries, .. MuslToolchain.EndFiles])!;
        Linker.LinkToFiles(options);
        Assert.Equal("archive=70\n", MuslToolchain.Execute(output).StdOut);

        var error = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-static", "-o", output, "-L", "/nonexistent", "-lnope"]));
        Assert.Equal("cannot find library libnope.a (-lnope) in the -L directories", error.Describe());
    }

    [MuslFact]
    public void BsdArchiveSymbolTableIsRead()
    {
        string library = Path.Combine(_tools.Directory, "libbsd.a");
        File.WriteAllBytes(library, BsdArchive(
            ("archive_used.o", File.ReadAllBytes(_tools.Object("archive_used")), ["from_archive"]),
            ("a_rather_long_member_name_helper.o", File.ReadAllBytes(_tools.Object("archive_helper")), ["archive_helper"])));
        // GNU ld on Linux reads no BSD index, so its reference link gets the same members as a GNU archive.
        string gnuLibrary = _tools.Archive("libgnu_for_bsd.a", _tools.Object("archive_used"), _tools.Object("archive_helper"));
        var result = RunBoth("bsd_archive", [], [_tools.Object("archive_main"), gnuLibrary], [_tools.Object("archive_main"), library]);
        Assert.Equal("archive=70\n", result.StdOut);
    }

    [MuslFact]
    public void UndefinedSymbolInArchiveMemberNamesTheMember()
    {
        string broken = _tools.Object("archive_broken");
        string library = _tools.Archive("libbroken.a", broken);
        string output = Path.Combine(_tools.Directory, "broken.uk");
        var error = Assert.Throws<LinkerException>(() => _tools.LinkWithUkLd("broken", [], _tools.Object("archive_main"), library));
        string line = "uk-ld: error: " + error.Describe();
        Assert.Matches(@"^uk-ld: error: .*libbroken\.a\(archive_broken\d*\.o\): \.text\+0x[0-9a-f]+: undefined symbol 'does_not_exist'$",
            line);
        Assert.False(File.Exists(output), "no partial output");
    }

    [MuslFact]
    public void SameInputsGiveByteIdenticalOutputWithBuildId()
    {
        string[] objects = [_tools.Object("tls_ctors"), _tools.Object("weak"), _tools.Object("weak_strong")];
        // tls_ctors and weak both define main: link them separately.
        byte[] first = File.ReadAllBytes(_tools.LinkWithUkLd("det1", ["--build-id", "--gc-sections"], objects[0]));
        byte[] second = File.ReadAllBytes(_tools.LinkWithUkLd("det2", ["--build-id", "--gc-sections"], objects[0]));
        Assert.Equal(first, second);

        byte[] other = File.ReadAllBytes(_tools.LinkWithUkLd("det3", ["--build-id"], objects[1], objects[2]));
        var firstId = BuildIdOf(first);
        Assert.Equal(16, firstId.Length); // a bare --build-id is the fast style, as in lld
        Assert.NotEqual(firstId, BuildIdOf(other));
        Assert.Contains(".note.gnu.build-id", MuslToolchain.Run("readelf", ["-n", Path.Combine(_tools.Directory, "det1.uk")]));
    }

    // The id is the hash of the file with the descriptor zeroed (one chunk: these images are under 1 MiB), checked
    // against the BCL's hashes.
    [MuslTheory]
    [InlineData("--build-id", 16)]
    [InlineData("--build-id=fast", 16)]
    [InlineData("--build-id=sha1", 20)]
    public void TheBuildIdIsTheHashOfTheImageWithTheIdZeroed(string option, int size)
    {
        string name = "id" + size + option.Length;
        byte[] image = File.ReadAllBytes(_tools.LinkWithUkLd(name, [option], _tools.Object("tls_ctors")));
        Assert.InRange(image.Length, 1, (1 << 20) - 1);
        byte[] id = BuildIdOf(image);
        Assert.Equal(size, id.Length);
        int at = image.AsSpan().IndexOf(id);
        image.AsSpan(at, size).Clear();
        byte[] expected = size == 20 ? System.Security.Cryptography.SHA1.HashData(image) : System.IO.Hashing.XxHash128.Hash(image);
        Assert.Equal(expected, id);
    }

    [MuslFact]
    public void SegmentsAreWxorXWithMappedHeadersTlsUnwindAndStackHeaders()
    {
        byte[] image = File.ReadAllBytes(_tools.LinkWithUkLd("layout", ["--build-id"], _tools.Object("jump_stdio")));
        byte[] reference = File.ReadAllBytes(_tools.LinkWithGnuLd("layout", ["--eh-frame-hdr"], _tools.Object("jump_stdio")));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(16))); // ET_EXEC
        var headers = ProgramHeaders(image);
        var loads = headers.Where(h => h.Type == 1).ToList();
        Assert.Equal((0UL, 0x400000UL), (loads[0].Offset, loads[0].Address)); // headers mapped, ld's base
        Assert.Equal(4u, loads[0].Flags);                                        // R
        Assert.Equal(new uint[] { 4, 5, 6 }, loads.Select(l => l.Flags).ToArray()); // R, RX, RW
        foreach (var load in loads)
            Assert.Equal(load.Offset % 4096, load.Address % 4096);

        Assert.DoesNotContain(headers, h => h.Type == 7); // jump_stdio has no TLS: no PT_TLS
        Assert.Equal(6u, Assert.Single(headers, h => h.Type == 0x6474e551).Flags); // PT_GNU_STACK: RW, not X
        Assert.Single(headers, h => h.Type == 4);                                  // PT_NOTE for the build id

        // .eh_frame_hdr: version 1, binary-search table sorted by function address.
        var hdr = Assert.Single(headers, h => h.Type == 0x6474e550);
        var table = image.AsSpan((int)hdr.Offset, (int)hdr.FileSize);
        Assert.Equal(new byte[] { 1, 0x1b, 0x03, 0x3b }, table[..4].ToArray());
        int count = BinaryPrimitives.ReadInt32LittleEndian(table[8..]);
        var referenceHdr = Assert.Single(ProgramHeaders(reference), h => h.Type == 0x6474e550);
        Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(reference.AsSpan((int)referenceHdr.Offset + 8)), count);
        int previous = int.MinValue;
        for (int i = 0; i < count; i++)
        {
            int start = BinaryPrimitives.ReadInt32LittleEndian(table[(12 + 8 * i)..]);
            Assert.True(start >= previous, "eh_frame_hdr table not sorted");
            previous = start;
        }
    }

    [MuslFact]
    public void StackSizeSetsMuslsDefaultThreadStackLikeGnuLd()
    {
        // 1.5 MiB (what .NET's linux-musl builds ask for): the new thread's ~1 MiB recursion fits.
        string fixture = _tools.Object("thread_stack");
        var result = RunBoth("stack_size", ["-z", "stack-size=1572864"], fixture);
        Assert.Equal("default thread stack 1572864\ndeep recursion on a new thread: 63357\n", result.StdOut);
        // musl caps it at 8 MiB; without the option it keeps its own 128 KiB.
        Assert.Equal("default thread stack 8388608\ndeep recursion on a new thread: 63357\n",
            RunBoth("stack_size_capped", ["-zstack-size=0x1000000"], fixture).StdOut);
        Assert.Equal("default thread stack 131072\n", RunBoth("stack_size_default", [], fixture).StdOut);

        // The header itself is GNU ld's, field for field.
        foreach (string name in new[] { "stack_size", "stack_size_capped", "stack_size_default" })
        {
            var ours = Assert.Single(StackSizeTests.ProgramHeaders(File.ReadAllBytes(Path.Combine(_tools.Directory, name + ".uk"))),
                h => h.Type == 0x6474e551);
            var reference = Assert.Single(StackSizeTests.ProgramHeaders(File.ReadAllBytes(Path.Combine(_tools.Directory, name + ".ld"))),
                h => h.Type == 0x6474e551);
            Assert.Equal(reference, ours);
        }
    }

    private static HashSet<string> Symbols(string image) =>
        MuslToolchain.Run("nm", [image]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[^1]).ToHashSet();

    private static byte[] BuildIdOf(byte[] image)
    {
        var note = Assert.Single(ProgramHeaders(image), h => h.Type == 4);
        var bytes = image.AsSpan((int)note.Offset, (int)note.FileSize);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..])); // NT_GNU_BUILD_ID
        int size = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        return bytes.Slice(16, size).ToArray();
    }

    private sealed record Header(uint Type, uint Flags, ulong Offset, ulong Address, ulong FileSize, ulong Alignment);

    private static List<Header> ProgramHeaders(byte[] image)
    {
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(56));
        var headers = new List<Header>();
        for (int i = 0; i < count; i++)
        {
            var h = image.AsSpan((int)table + 56 * i);
            headers.Add(new Header(BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[32..]), BinaryPrimitives.ReadUInt64LittleEndian(h[48..])));
        }
        return headers;
    }

    /// <summary>A 4.4BSD-style archive: "#1/N" inline names and a little-endian __.SYMDEF table.</summary>
    internal static byte[] BsdArchive(params (string Name, byte[] Contents, string[] Symbols)[] members)
    {
        static byte[] Header(string name, int size) =>
            Encoding.ASCII.GetBytes($"{name,-16}{"0",-12}{"0",-6}{"0",-6}{"644",-8}{size,-10}`\n");
        static byte[] Padded(byte[] name) => [.. name, .. new byte[(8 - name.Length % 8) % 8]];

        var strings = new MemoryStream();
        var symbols = new List<(int NameOffset, int Member)>();
        // The symbol table's own size is fixed by the symbol count, so member offsets are known up front.
        int symbolCount = members.Sum(m => m.Symbols.Length);
        var symbolNames = members.SelectMany(m => m.Symbols).ToList();
        int stringBytes = symbolNames.Sum(s => s.Length + 1);
        byte[] symdefName = Padded(Encoding.ASCII.GetBytes("__.SYMDEF SORTED"));
        int symdefSize = symdefName.Length + 4 + 8 * symbolCount + 4 + stringBytes;
        int offset = 8 + 60 + symdefSize + (symdefSize & 1);
        var body = new MemoryStream();
        foreach (var (name, contents, memberSymbols) in members)
        {
            foreach (string symbol in memberSymbols)
            {
                symbols.Add(((int)strings.Length, offset));
                strings.Write(Encoding.ASCII.GetBytes(symbol + "\0"));
            }
            byte[] nameBytes = Padded(Encoding.ASCII.GetBytes(name));
            int size = nameBytes.Length + contents.Length;
            body.Write(Header($"#1/{nameBytes.Length}", size));
            body.Write(nameBytes);
            body.Write(contents);
            if ((size & 1) != 0)
                body.WriteByte((byte)'\n');
            offset += 60 + size + (size & 1);
        }

        var archive = new MemoryStream();
        archive.Write("!<arch>\n"u8);
        archive.Write(Header($"#1/{symdefName.Length}", symdefSize));
        archive.Write(symdefName);
        var word = new byte[4];
        void Word(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, value);
            archive.Write(word);
        }
        Word(8 * symbolCount);
        foreach (var (nameOffset, member) in symbols)
        {
            Word(nameOffset);
            Word(member);
        }
        Word(stringBytes);
        archive.Write(strings.ToArray());
        if ((symdefSize & 1) != 0)
            archive.WriteByte((byte)'\n');
        archive.Write(body.ToArray());
        return archive.ToArray();
    }
}
