using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using LibObjectFile.Elf;
using Unikernel.Boot;
using Unikernel.Formats;

namespace Unikernel.Linker.Tests;

/// <summary>
/// <c>uk-ld --app</c>: a static executable's PT_LOADs carried unchanged in a kernel image, described to the
/// kernel through uk_boot_info (the real boot.o is linked, so the fields are checked where the kernel reads
/// them), named in uk_ksyms and the map; and every kind of unusable app refused with one clear line.
/// The app is linked by <c>uk-ld -static</c> from a test object, so no C toolchain is needed (one extra test
/// embeds a GNU ld executable where musl-gcc is installed).
/// </summary>
public sealed class AppEmbeddingTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private const ulong PageSize = 0x1000;

    /// <summary>The app: _start (exit(0) by syscall), a global and a local function, constants, data
    /// pointing at code, and .bss.</summary>
    internal static TestObjectBuilder AppObject() => new TestObjectBuilder()
        .Text(".text", [0x31, 0xff, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xc3, 0xc3])
        .Function("_start", ".text", 0, 9)
        .Function("helper", ".text", 16, 1)
        .Function("app_local", ".text", 17, 1, ElfSymbolBind.Local)
        .Function("helper_alias", ".text", 16, 0) // an alias without size must not shadow "helper"
        .ReadOnly(".rodata", Encoding.ASCII.GetBytes("hello from the app\0"))
        .Data(".data", new byte[8])
        .Object("start_pointer", ".data", 0, 8)
        .Relocation(".data", 0, R.X86_64_64, "_start")
        .Bss(".bss", 0x3000);

    /// <summary>What boot.o needs from a kernel: the six entry points it calls, here all <c>ret</c>.</summary>
    internal static TestObjectBuilder KernelStub() => new TestObjectBuilder()
        .Text(".text", [0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3])
        .Function("uk_kernel_main", ".text", 0, 1)
        .Function("uk_interrupt", ".text", 1, 1)
        .Function("uk_kernel_throw", ".text", 2, 1)
        .Function("uk_kernel_failfast", ".text", 3, 1)
        .Function("uk_interface_dispatch", ".text", 4, 1)
        .Function("uk_ap_main", ".text", 5, 1);

    private string LinkApp(bool strip = false, ulong baseAddress = LinkOptions.DefaultExecutableBaseAddress, string name = "app")
    {
        string output = Path.Combine(_harness.Directory, name);
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = baseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [_harness.Write(name + ".o", AppObject())],
            StripSymbols = strip,
        });
        return output;
    }

    private string[]? _kernelInputs;

    private string[] KernelInputs() => _kernelInputs ??=
    [
        _harness.Write("boot.o", ElfObjectWriter.Write(BootStub.Build())),
        _harness.Write("kernel.o", KernelStub()),
    ];

    private LinkResult LinkImage(string? app, string? output = null, string? map = null) =>
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output ?? _harness.OutputPath,
            MapPath = map ?? _harness.MapPath,
            InputPaths = KernelInputs(),
            AppPath = app,
        });

    /// <summary>Links expecting failure: the one line uk-ld prints, after checking nothing was left behind.</summary>
    private string ImageError(string app)
    {
        var error = Assert.Throws<LinkerException>(() => LinkImage(app));
        Assert.False(File.Exists(_harness.OutputPath), "a failed link must not leave an image");
        Assert.False(File.Exists(_harness.MapPath), "a failed link must not leave a map");
        Assert.Empty(Directory.GetFiles(_harness.Directory, "*.tmp"));
        string line = "uk-ld: error: " + error.Describe();
        Assert.DoesNotContain('\n', line);
        return line;
    }

    [Fact]
    public void AppSegmentsAreCopiedVerbatimAsExtraLoadSegmentsAtTheirAddresses()
    {
        string appPath = LinkApp();
        byte[] app = File.ReadAllBytes(appPath);
        LinkImage(appPath);
        byte[] image = _harness.OutputBytes;

        var appLoads = Loads(app);
        var imageLoads = Loads(image);
        Assert.Equal(3 + appLoads.Count + 1, imageLoads.Count); // the kernel's RX, R, RW, the app's, then uk_ksyms'
        Assert.Equal(imageLoads.OrderBy(h => h.Address), imageLoads);
        foreach (var load in appLoads)
        {
            var copy = Assert.Single(imageLoads, h => h.Address == load.Address);
            Assert.Equal((load.Flags, load.FileSize, load.MemorySize), (copy.Flags, copy.FileSize, copy.MemorySize));
            Assert.Equal(copy.Address, copy.PhysicalAddress);
            Assert.Equal(PageSize, copy.Alignment);
            Assert.Equal(copy.Address % PageSize, copy.Offset % PageSize);
            Assert.Equal(app.AsSpan((int)load.Offset, (int)load.FileSize).ToArray(),
                image.AsSpan((int)copy.Offset, (int)copy.FileSize).ToArray());
        }
        // Tools read the result as a normal ELF file.
        using (var stream = File.OpenRead(_harness.OutputPath))
            Assert.True(ElfFile.TryRead(stream, out _, out var diagnostics), string.Join("\n", diagnostics.Messages));

        // The kernel's own segments did not move up to make room (uk_ksyms left them, so they may only move down).
        var kernelOnly = Loads(LinkKernelWithoutApp());
        var kernelPart = imageLoads.Where(h => h.Address < 0x400000).ToList();
        Assert.Equal(kernelOnly.Count, kernelPart.Count);
        Assert.Equal(kernelOnly[0].Address, kernelPart[0].Address);
        Assert.All(kernelOnly.Zip(kernelPart), pair => Assert.True(pair.Second.Address <= pair.First.Address));
    }

    [Fact]
    public void KernelSymbolsGetASegmentOfTheirOwnAfterTheApp()
    {
        string appPath = LinkApp();
        var appLoads = Loads(File.ReadAllBytes(appPath));
        LinkImage(appPath);
        byte[] image = _harness.OutputBytes;
        var elf = _harness.ReadOutput();
        var imageLoads = Loads(image);

        // The last PT_LOAD: read-only, on the first page after the app's highest segment, holding uk_image_info (at
        // AppEnd) and then uk_ksyms, on the same page, then uk_files (the image's file system) to its end.
        ulong appEnd = AlignUp(appLoads[^1].Address + appLoads[^1].MemorySize);
        var ksyms = elf.Section("uk_ksyms");
        var info = elf.Section("uk_image_info");
        var load = imageLoads[^1];
        Assert.Equal(4u, load.Flags); // PF_R
        Assert.Equal(appEnd, load.Address);
        Assert.Equal(load.Address, load.PhysicalAddress); // the PVH loader loads it where the kernel reads it
        Assert.Equal(PageSize, load.Alignment);
        Assert.Equal(0UL, load.Offset % PageSize);
        Assert.Equal((load.Address, load.Offset), (info.VirtualAddress, info.Position));
        Assert.Equal((info.VirtualAddress + info.Size + 7) & ~7UL, ksyms.VirtualAddress);
        Assert.Equal(appEnd, ksyms.VirtualAddress & ~(PageSize - 1));
        var files = elf.Section("uk_files");
        Assert.Equal((ksyms.VirtualAddress + ksyms.Size + 7) & ~7UL, files.VirtualAddress);
        ulong segmentSize = files.VirtualAddress + files.Size - load.Address;
        Assert.Equal((segmentSize, segmentSize), (load.FileSize, load.MemorySize));
        Assert.Equal(load.Offset + (ksyms.VirtualAddress - load.Address), ksyms.Position);
        // Its bytes follow the app's in the file.
        var lastAppCopy = imageLoads.Single(h => h.Address == appLoads[^1].Address);
        Assert.True(load.Offset >= lastAppCopy.Offset + lastAppCopy.FileSize);

        // The kernel finds it through uk_boot_info, as before.
        ulong bootInfo = elf.Address("uk_boot_info");
        Assert.Equal(ksyms.VirtualAddress, elf.Address("__start_uk_ksyms"));
        Assert.Equal(ksyms.VirtualAddress + ksyms.Size, elf.Address("__stop_uk_ksyms"));
        Assert.Equal(ksyms.VirtualAddress, elf.ReadUInt64(image, bootInfo + BootInfoLayout.KsymsStart));
        Assert.Equal(ksyms.VirtualAddress + ksyms.Size, elf.ReadUInt64(image, bootInfo + BootInfoLayout.KsymsEnd));

        // __image_end covers the kernel's segments only: they end below the app, uk_ksyms is not among them.
        ulong imageEnd = elf.Address("__image_end");
        Assert.Equal(imageEnd, elf.ReadUInt64(image, bootInfo + BootInfoLayout.ImageEnd));
        Assert.True(imageEnd <= 0x400000);
        Assert.Equal(3, imageLoads.Count(h => h.Address < imageEnd));
        Assert.Equal(imageEnd, AlignUp(imageLoads.Where(h => h.Address < imageEnd).Max(h => h.Address + h.MemorySize)));
        Assert.True(ksyms.VirtualAddress >= imageEnd);

        // And the names in it still resolve.
        var entries = KernelSymbols();
        Assert.Contains(entries, e => e.Name == "uk_kernel_main" && e.Address == elf.Address("uk_kernel_main"));
        Assert.Contains(entries, e => e.Name == "app:helper");
    }

    [Fact]
    public void KernelSegmentsDoNotDependOnTheAppsSymbols()
    {
        // A stripped app adds no names, the same app with symbols adds some: the kernel's part of the image is laid out
        // the same either way; only the uk_ksyms segment after the app differs.
        LinkImage(LinkApp(strip: true, name: "stripped-app"));
        var stripped = Loads(_harness.OutputBytes);
        ulong strippedEnd = _harness.ReadOutput().Address("__image_end");
        LinkImage(LinkApp());
        var full = Loads(_harness.OutputBytes);

        Assert.Equal(stripped.Count, full.Count);
        Assert.Equal(stripped.SkipLast(1).Select(h => (h.Address, h.FileSize, h.MemorySize)),
            full.SkipLast(1).Select(h => (h.Address, h.FileSize, h.MemorySize)));
        Assert.Equal(strippedEnd, _harness.ReadOutput().Address("__image_end"));
        Assert.Equal(stripped[^1].Address, full[^1].Address);
        Assert.True(full[^1].MemorySize > stripped[^1].MemorySize);
    }

    [Fact]
    public void KernelSymbolsMustFitBelow2GiBAfterTheApp()
    {
        var atUsualAddress = Loads(File.ReadAllBytes(LinkApp()));
        ulong span = AlignUp(atUsualAddress[^1].Address + atUsualAddress[^1].MemorySize) - atUsualAddress[0].Address;

        // The app's last page is the last page below 2 GiB: no room left for uk_image_info, uk_ksyms and uk_files.
        ulong highest = 0x8000_0000 - span;
        string app = LinkApp(baseAddress: highest, name: "top-app");
        var top = Loads(File.ReadAllBytes(app))[^1];
        Assert.Equal(0x8000_0000UL, AlignUp(top.Address + top.MemorySize));
        Assert.Matches($@"^uk-ld: error: {System.Text.RegularExpressions.Regex.Escape(app)}: uk_image_info, uk_ksyms and uk_files \(0x[0-9a-f]+ bytes\) " +
                       @"go after the app, at 0x80000000, and would end above 2 GiB \(0x80000000\), the top of the app's range; " +
                       @"link the app lower or make it smaller$", ImageError(app));

        // A few pages lower, it fits.
        LinkImage(LinkApp(baseAddress: highest - 16 * PageSize, name: "high-app"));
        var load = Loads(_harness.OutputBytes)[^1];
        Assert.Equal(0x8000_0000UL - 16 * PageSize, load.Address);
        Assert.True(load.Address + load.MemorySize <= 0x8000_0000UL);
    }

    [Fact]
    public void BootInfoTellsTheKernelWhereTheAppIs()
    {
        string appPath = LinkApp();
        byte[] app = File.ReadAllBytes(appPath);
        LinkImage(appPath);

        var appLoads = Loads(app);
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(app.AsSpan(24));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(app.AsSpan(32));
        ulong phnum = BinaryPrimitives.ReadUInt16LittleEndian(app.AsSpan(56));
        Assert.Equal(0UL, appLoads[0].Offset); // uk-ld -static maps its headers: AT_PHDR = base + e_phoff
        var expected = new Dictionary<string, ulong>
        {
            ["__uk_app_entry"] = entry,
            ["__uk_app_phdr"] = 0x400000 + phoff,
            ["__uk_app_phnum"] = phnum,
            ["__uk_app_start"] = 0x400000,
            ["__uk_app_end"] = AlignUp(appLoads[^1].Address + appLoads[^1].MemorySize),
        };
        Assert.Equal(ReadSymbol(app, "_start"), entry);

        var elf = _harness.ReadOutput();
        byte[] image = _harness.OutputBytes;
        ulong bootInfo = elf.Address("uk_boot_info");
        foreach (var (offset, symbol) in BootInfoLayout.LinkerFilledFields.Where(f => f.Symbol.StartsWith("__uk_app_")))
        {
            Assert.Equal(expected[symbol], elf.Address(symbol));
            Assert.Equal(0xfff1u, (uint)elf.Symbol(symbol).SectionLink.SpecialIndex); // SHN_ABS
            Assert.Equal(expected[symbol], elf.ReadUInt64(image, bootInfo + (ulong)offset));
        }
        Assert.Equal(5, BootInfoLayout.LinkerFilledFields.Count(f => f.Symbol.StartsWith("__uk_app_")));
        // The program headers the kernel will read through AppProgramHeaders are in the image's memory.
        Assert.Equal(app.AsSpan((int)phoff, (int)phnum * 56).ToArray(),
            elf.ReadMemory(image, expected["__uk_app_phdr"], (int)phnum * 56));
    }

    [Fact]
    public void WithoutAnAppTheFieldsAreZeroAndTheImageIsUnchanged()
    {
        byte[] image = LinkKernelWithoutApp();
        var elf = _harness.ReadOutput();
        ulong bootInfo = elf.Address("uk_boot_info");
        for (int field = BootInfoLayout.AppEntry; field <= BootInfoLayout.AppEnd; field += 8)
            Assert.Equal(0UL, elf.ReadUInt64(image, bootInfo + (ulong)field));
        foreach (string symbol in new[] { "__uk_app_entry", "__uk_app_phdr", "__uk_app_phnum", "__uk_app_start", "__uk_app_end" })
            Assert.Equal(0UL, elf.Address(symbol));
        Assert.Equal(3, Loads(image).Count);
        Assert.DoesNotContain(File.ReadAllLines(_harness.MapPath), line => line.StartsWith("app"));

        // uk_ksyms stays in the kernel's read-only segment, inside the image.
        var ksyms = elf.Section("uk_ksyms");
        var readOnly = Assert.Single(Loads(image), h => h.Flags == 4);
        Assert.True(ksyms.VirtualAddress >= readOnly.Address && ksyms.VirtualAddress + ksyms.Size <= readOnly.Address + readOnly.FileSize);
        Assert.True(ksyms.VirtualAddress + ksyms.Size <= elf.Address("__image_end"));
        Assert.Equal("ReadOnly", MapRecords().Single(r => r[0] == "section" && r[1] == "uk_ksyms")[5]);
    }

    [Fact]
    public void KernelSymbolTableGetsTheAppsFunctionsQualified()
    {
        string appPath = LinkApp();
        LinkImage(appPath);
        var entries = KernelSymbols();

        Assert.Equal(entries.OrderBy(e => e.Address).ToList(), entries);
        Assert.Contains(entries, e => e.Name == "uk_kernel_main");
        Assert.Contains(entries, e => e.Name == "uk_pvh_entry");
        var appEntries = entries.Where(e => e.Name.StartsWith("app:")).ToList();
        Assert.Equal(["app:_start", "app:helper", "app:app_local"], appEntries.Select(e => e.Name));
        byte[] app = File.ReadAllBytes(appPath);
        Assert.Equal((ReadSymbol(app, "_start"), 9u), (appEntries[0].Address, appEntries[0].Size));
        Assert.Equal((ReadSymbol(app, "helper"), 1u), (appEntries[1].Address, appEntries[1].Size));
        Assert.Equal(appEntries[1].Address + 1, appEntries[2].Address);

        var appRecord = MapRecords().Single(r => r[0] == "app");
        Assert.Equal(3UL, Hex(appRecord[7]));
    }

    [Fact]
    public void StrippedAppLinksWithoutSymbols()
    {
        LinkImage(LinkApp(strip: true));
        var entries = KernelSymbols();
        Assert.DoesNotContain(entries, e => e.Name.StartsWith("app:"));
        Assert.Contains(entries, e => e.Name == "uk_kernel_main");
        Assert.Equal("0x0", MapRecords().Single(r => r[0] == "app")[7]);
    }

    [Fact]
    public void MapRecordsTheAppAndEachCopiedSegment()
    {
        string appPath = LinkApp();
        byte[] app = File.ReadAllBytes(appPath);
        LinkImage(appPath);
        var records = MapRecords();
        var elf = _harness.ReadOutput();

        var appRecord = Assert.Single(records, r => r[0] == "app");
        Assert.Equal(appPath, appRecord[1]);
        Assert.Equal(elf.Address("__uk_app_entry"), Hex(appRecord[2]));
        Assert.Equal(elf.Address("__uk_app_phdr"), Hex(appRecord[3]));
        Assert.Equal(elf.Address("__uk_app_phnum"), Hex(appRecord[4]));
        Assert.Equal(elf.Address("__uk_app_start"), Hex(appRecord[5]));
        Assert.Equal(elf.Address("__uk_app_end"), Hex(appRecord[6]));

        var appLoads = Loads(app);
        var imageLoads = Loads(_harness.OutputBytes);
        var segments = records.Where(r => r[0] == "app-segment").ToList();
        Assert.Equal(appLoads.Count, segments.Count);
        for (int i = 0; i < segments.Count; i++)
        {
            var copy = imageLoads.Single(h => h.Address == appLoads[i].Address);
            Assert.Equal(appLoads[i].Address, Hex(segments[i][3]));
            Assert.Equal(copy.Offset, Hex(segments[i][4]));
            Assert.Equal(appLoads[i].FileSize, Hex(segments[i][5]));
            Assert.Equal(appLoads[i].MemorySize, Hex(segments[i][6]));
            Assert.Equal(appLoads[i].Offset, Hex(segments[i][7]));
        }
        Assert.Equal(new[] { "R--", "R-X", "RW-" }, segments.Select(s => s[2]).Order(StringComparer.Ordinal));
        // The app is not a link input: readers of `file` rows (LinkMapInputs) must not see it.
        Assert.DoesNotContain(records, r => r[0] == "file" && r[1] == appPath);
        // `segment` rows are the linker's own segments: the kernel's three, then uk_ksyms' after the app (which
        // uk_image_info opens and uk_files closes).
        var segmentRows = records.Where(r => r[0] == "segment").ToList();
        Assert.Equal(4, segmentRows.Count);
        var ksyms = elf.Section("uk_ksyms");
        Assert.Equal(["segment", "LOAD", "R--"], segmentRows[^1][..3]);
        Assert.Equal(elf.Section("uk_image_info").VirtualAddress, Hex(segmentRows[^1][3]));
        var files = elf.Section("uk_files");
        Assert.Equal(files.VirtualAddress + files.Size, Hex(segmentRows[^1][3]) + Hex(segmentRows[^1][6]));
        Assert.True(ksyms.VirtualAddress >= elf.Address("__uk_app_end"));
        var ksymsRow = records.Single(r => r[0] == "section" && r[1] == "uk_ksyms");
        Assert.Equal((ksyms.VirtualAddress, ksyms.Size, "Symbols"), (Hex(ksymsRow[2]), Hex(ksymsRow[3]), ksymsRow[5]));
        // The image row is the kernel's part; the linker's tables still count as constants in its file row.
        var imageRow = records.Single(r => r[0] == "image");
        Assert.Equal((elf.Address("__image_start"), elf.Address("__image_end")), (Hex(imageRow[1]), Hex(imageRow[2])));
        var linkerRow = records.Single(r => r[0] == "file" && r[1] == "<linker>");
        Assert.True(Hex(linkerRow[3]) >= ksyms.Size);
    }

    [Fact]
    public void SameInputsGiveByteIdenticalImages()
    {
        string appPath = LinkApp();
        var first = LinkImage(appPath);
        byte[] firstBytes = _harness.OutputBytes;
        string firstMap = File.ReadAllText(_harness.MapPath);
        var second = LinkImage(appPath);

        Assert.Equal(firstBytes, _harness.OutputBytes);
        Assert.Equal(first.Image, second.Image);
        Assert.Equal(firstMap, File.ReadAllText(_harness.MapPath));
        // Nor does the image depend on where the app or the output live (only the map names the path); uk_image_info
        // records the app's file name, not its path.
        Directory.CreateDirectory(Path.Combine(_harness.Directory, "elsewhere"));
        string elsewhere = Path.Combine(_harness.Directory, "elsewhere", Path.GetFileName(appPath));
        File.Copy(appPath, elsewhere);
        var third = LinkImage(elsewhere, Path.Combine(_harness.Directory, "other.elf"), Path.Combine(_harness.Directory, "other.map"));
        Assert.Equal(firstBytes, third.Image);
    }

    public static TheoryData<string> InvalidApps() =>
    [
        "not-elf", "elf32", "big-endian", "wrong-machine", "object-file", "position-independent", "interpreter", "dynamic",
        "no-load", "empty-load", "filesz-over-memsz", "truncated", "bad-alignment", "misaligned", "below-4mib", "above-2gib",
        "out-of-order", "headers-not-loaded", "entry-not-executable", "bad-phentsize", "phdrs-past-end", "corrupt-symtab",
    ];

    [Theory]
    [MemberData(nameof(InvalidApps))]
    public void UnusableAppIsRefusedNamingTheFileAndTheHeader(string kind)
    {
        string good = LinkApp();
        byte[] app = File.ReadAllBytes(good);
        var loads = Loads(app);
        int rx = loads.FindIndex(h => h.Flags == 5), rw = loads.FindIndex(h => h.Flags == 6);
        int stack = Headers(app).FindIndex(h => h.Type == 0x6474e551); // PT_GNU_STACK: a header to repurpose
        string path = Path.Combine(_harness.Directory, kind);
        string expected;
        switch (kind)
        {
            case "not-elf":
                app = Encoding.ASCII.GetBytes("#!/bin/sh\necho not an executable\n");
                expected = $"{path}: app is not an ELF file";
                break;
            case "elf32":
                app[4] = 1;
                expected = $"{path}: app is not a 64-bit ELF file (ELFCLASS32)";
                break;
            case "big-endian":
                app[5] = 2;
                expected = $"{path}: app is not a little-endian ELF file";
                break;
            case "wrong-machine":
                BinaryPrimitives.WriteUInt16LittleEndian(app.AsSpan(18), 183);
                expected = $"{path}: app is for the wrong machine EM_AARCH64 (183), expected EM_X86_64";
                break;
            case "object-file":
                app = AppObject().Build();
                expected = $"{path}: app is not a static executable: ET_REL (an object file: link it first, uk-ld -static), expected ET_EXEC";
                break;
            case "position-independent":
                BinaryPrimitives.WriteUInt16LittleEndian(app.AsSpan(16), 3);
                expected = $"{path}: app is not a static executable: ET_DYN (a position-independent executable or shared library; " +
                           "link with -static, no -pie), expected ET_EXEC";
                break;
            case "interpreter":
                SetHeader(app, stack, 0, 3u);
                expected = $"{path}: program header {stack}: app is dynamically linked (PT_INTERP names a program interpreter); " +
                           "link it as a static executable (uk-ld -static)";
                break;
            case "dynamic":
                SetHeader(app, stack, 0, 2u);
                expected = $"{path}: program header {stack}: app has a dynamic section (PT_DYNAMIC)";
                break;
            case "no-load":
                foreach (int index in LoadIndices(app))
                    SetHeader(app, index, 0, 0u);
                expected = $"{path}: app has no PT_LOAD segments: nothing to load";
                break;
            case "empty-load":
                SetHeader(app, LoadIndices(app)[rx], 32, 0UL);
                SetHeader(app, LoadIndices(app)[rx], 40, 0UL);
                expected = $"{path}: program header {LoadIndices(app)[rx]}: PT_LOAD at 0x{loads[rx].Address:x} is empty (p_memsz 0)";
                break;
            case "filesz-over-memsz":
                SetHeader(app, LoadIndices(app)[rx], 40, loads[rx].FileSize - 1);
                expected = $"{path}: program header {LoadIndices(app)[rx]}: PT_LOAD at 0x{loads[rx].Address:x} has p_filesz " +
                           $"0x{loads[rx].FileSize:x} larger than p_memsz 0x{loads[rx].FileSize - 1:x}";
                break;
            case "truncated":
                Array.Resize(ref app, (int)(loads[rx].Offset + loads[rx].FileSize - 1));
                expected = $"{path}: program header {LoadIndices(app)[rx]}: PT_LOAD at 0x{loads[rx].Address:x}: its file data " +
                           $"(offset 0x{loads[rx].Offset:x}, 0x{loads[rx].FileSize:x} bytes) extends past the end of the file (0x{app.Length:x} bytes)";
                break;
            case "bad-alignment":
                SetHeader(app, LoadIndices(app)[rx], 48, 0x1800UL);
                expected = $"{path}: program header {LoadIndices(app)[rx]}: PT_LOAD at 0x{loads[rx].Address:x} has p_align 0x1800, " +
                           "expected a power of two of at least the page size (0x1000)";
                break;
            case "misaligned":
                SetHeader(app, LoadIndices(app)[rx], 16, loads[rx].Address + 0x10);
                expected = $"{path}: program header {LoadIndices(app)[rx]}: PT_LOAD at 0x{loads[rx].Address + 0x10:x} is not page " +
                           $"aligned consistently: p_vaddr and p_offset (0x{loads[rx].Offset:x}) differ modulo p_align (0x1000)";
                break;
            case "below-4mib":
                SetHeader(app, LoadIndices(app)[0], 16, 0x3ff000UL);
                expected = $"{path}: program header {LoadIndices(app)[0]}: PT_LOAD at 0x3ff000 lies below 4 MiB (0x400000), " +
                           "where the kernel image is: an app's segments must lie in [4 MiB, 2 GiB) (link it at 0x400000, the default)";
                break;
            case "above-2gib":
            {
                ulong address = 0x7FFFF000 + loads[rw].Offset % PageSize;
                SetHeader(app, LoadIndices(app)[rw], 16, address);
                expected = $"{path}: program header {LoadIndices(app)[rw]}: PT_LOAD at 0x{address:x} (0x{loads[rw].MemorySize:x} bytes) " +
                           "ends above 2 GiB (0x80000000): an app's segments must lie in [4 MiB, 2 GiB), the range the kernel runs " +
                           "small-code-model apps in";
                break;
            }
            case "out-of-order":
            {
                // Swap the first two PT_LOADs: the second one listed now starts below the first.
                var indices = LoadIndices(app);
                int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(app.AsSpan(32));
                byte[] first = app.AsSpan(table + 56 * indices[0], 56).ToArray();
                app.AsSpan(table + 56 * indices[1], 56).CopyTo(app.AsSpan(table + 56 * indices[0]));
                first.CopyTo(app.AsSpan(table + 56 * indices[1]));
                expected = $"{path}: program header {indices[1]}: PT_LOAD at 0x{loads[0].Address:x} starts inside or below the pages " +
                           $"of program header {indices[0]} (0x{loads[1].Address:x}-0x{loads[1].Address + loads[1].MemorySize:x}): " +
                           "PT_LOADs must come in ascending address order and not share pages";
                break;
            }
            case "headers-not-loaded":
            {
                // A valid copy of the program headers, but past every segment's file data.
                int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(app.AsSpan(32));
                int count = BinaryPrimitives.ReadUInt16LittleEndian(app.AsSpan(56));
                int copyAt = app.Length;
                byte[] headers = app.AsSpan(table, 56 * count).ToArray();
                Array.Resize(ref app, copyAt + headers.Length);
                headers.CopyTo(app.AsSpan(copyAt));
                BinaryPrimitives.WriteUInt64LittleEndian(app.AsSpan(32), (ulong)copyAt);
                expected = $"{path}: program header {LoadIndices(app)[0]}: app's program headers (file offset 0x{copyAt:x}, " +
                           $"0x{headers.Length:x} bytes) are not inside the first PT_LOAD's file data (offset 0x0, " +
                           $"0x{loads[0].FileSize:x} bytes), so they would not be in memory for the kernel to pass as AT_PHDR";
                break;
            }
            case "entry-not-executable":
                BinaryPrimitives.WriteUInt64LittleEndian(app.AsSpan(24), loads[rw].Address);
                expected = $"{path}: app's entry point 0x{loads[rw].Address:x} is not inside an executable PT_LOAD";
                break;
            case "bad-phentsize":
                BinaryPrimitives.WriteUInt16LittleEndian(app.AsSpan(54), 32);
                expected = $"{path}: app's program headers are 32 bytes each, expected 56 (ELF64)";
                break;
            case "phdrs-past-end":
                BinaryPrimitives.WriteUInt64LittleEndian(app.AsSpan(32), (ulong)app.Length - 8);
                expected = $"{path}: app's program header table (file offset 0x{app.Length - 8:x}, {Headers(File.ReadAllBytes(good)).Count} " +
                           $"entries) extends past the end of the file (0x{app.Length:x} bytes)";
                break;
            case "corrupt-symtab":
            {
                int symtab = SectionIndex(app, 2);
                ulong sections = BinaryPrimitives.ReadUInt64LittleEndian(app.AsSpan(40));
                BinaryPrimitives.WriteUInt64LittleEndian(app.AsSpan((int)sections + 64 * symtab + 56), 16);
                expected = $"{path}: section {symtab} (SHT_SYMTAB): corrupt app: symbol table entries are not 24 bytes";
                break;
            }
            default:
                throw new ArgumentException(kind);
        }
        File.WriteAllBytes(path, app);

        Assert.StartsWith("uk-ld: error: " + expected, ImageError(path));
    }

    // The kernel's image ends at or below 4 MiB (KernelAddressSpace), so an app that could overlap it starts below 4 MiB.
    [Fact]
    public void AppLinkedInTheKernelsRangeIsRefused()
    {
        string app = LinkApp(baseAddress: 0x100000, name: "low-app");
        Assert.Equal($"uk-ld: error: {app}: program header 0: PT_LOAD at 0x100000 lies below 4 MiB (0x400000), where the kernel " +
                     "image is: an app's segments must lie in [4 MiB, 2 GiB) (link it at 0x400000, the default)", ImageError(app));
    }

    // Issue 12: a 2 GiB .bss was accepted, and the kernel panicked at boot.
    [Fact]
    public void AppWithA2GiBBssIsRefused()
    {
        string output = Path.Combine(_harness.Directory, "big-bss");
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [_harness.Write("big-bss.o", AppObject().Bss(".bss.big", 0x8000_0000))],
        });
        var rw = Loads(File.ReadAllBytes(output)).Single(h => h.Flags == 6);
        int index = Headers(File.ReadAllBytes(output)).FindIndex(h => h.Type == 1 && h.Flags == 6);

        Assert.Equal($"uk-ld: error: {output}: program header {index}: PT_LOAD at 0x{rw.Address:x} (0x{rw.MemorySize:x} bytes) ends " +
                     "above 2 GiB (0x80000000): an app's segments must lie in [4 MiB, 2 GiB), the range the kernel runs " +
                     "small-code-model apps in", ImageError(output));
    }

    [Fact]
    public void MissingAppIsReported()
    {
        string missing = Path.Combine(_harness.Directory, "no-such-app");
        Assert.StartsWith($"uk-ld: error: {missing}: cannot read app: ", ImageError(missing));
    }

    [Fact]
    public void CommandLineTakesOneAppAndOnlyForKernelImages()
    {
        var options = CommandLine.Parse(["-o", "hello.img", "--app", "hello", "boot.o", "kernel.o"])!;
        Assert.Equal("hello", options.AppPath);
        Assert.Equal(OutputKind.Kernel, options.Kind);
        Assert.Null(CommandLine.Parse(["-o", "kernel.elf", "boot.o"])!.AppPath);

        Assert.Equal("--app puts an app into a kernel image; it cannot be used with -static",
            Assert.Throws<LinkerException>(() => CommandLine.Parse(["-static", "-o", "x", "--app", "hello", "a.o"])).Describe());
        Assert.Equal("--app given twice: an image holds one app",
            Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "x", "--app", "a", "--app", "b", "a.o"])).Describe());
    }

    [Fact]
    public void RandomCorruptionOfTheAppIsAnErrorOrAnImageNeverACrash()
    {
        byte[] original = File.ReadAllBytes(LinkApp());
        var random = new Random(20261126); // fixed: a failing round reproduces
        string input = Path.Combine(_harness.Directory, "mutated-app");
        int errors = 0;
        for (int round = 0; round < 300; round++)
        {
            byte[] mutated = (byte[])original.Clone();
            for (int flips = random.Next(1, 6); flips > 0; flips--)
            {
                // The headers decide everything: bias flips towards the ELF and program headers.
                int at = random.Next(3) == 0 ? random.Next(Math.Min(0x200, mutated.Length)) : random.Next(mutated.Length);
                mutated[at] = random.Next(3) switch { 0 => (byte)random.Next(256), 1 => 0xFF, _ => 0x00 };
            }
            if (random.Next(10) == 0)
                Array.Resize(ref mutated, random.Next(mutated.Length));
            File.WriteAllBytes(input, mutated);
            try
            {
                LinkImage(input);
            }
            catch (LinkerException error)
            {
                errors++;
                Assert.DoesNotContain('\n', error.Describe());
            }
        }
        Assert.True(errors > 0, "no mutation was ever rejected: the checks are not being reached");
    }

    [MuslFact]
    public void GnuLdStaticExecutableIsEmbeddedWithItsSymbols()
    {
        // A foreign linker's layout: its data segment starts mid-page (p_vaddr == p_offset mod 4096, != 0).
        using var tools = new MuslToolchain();
        string app = tools.LinkWithGnuLd("weak", [], tools.Object("weak"), tools.Object("weak_strong"));
        byte[] bytes = File.ReadAllBytes(app);
        LinkImage(app);
        byte[] image = _harness.OutputBytes;

        var imageLoads = Loads(image);
        foreach (var load in Loads(bytes))
        {
            var copy = Assert.Single(imageLoads, h => h.Address == load.Address);
            Assert.Equal(copy.Address % PageSize, copy.Offset % PageSize);
            Assert.Equal(bytes.AsSpan((int)load.Offset, (int)load.FileSize).ToArray(),
                image.AsSpan((int)copy.Offset, (int)copy.FileSize).ToArray());
        }
        var entries = KernelSymbols();
        Assert.Contains(entries, e => e.Name == "app:main" && e.Address == ReadSymbol(bytes, "main"));
        Assert.Contains(entries, e => e.Name == "app:printf"); // from musl's libc.a
    }

    // --- helpers: independent readers of the ELF structures, so the tests do not trust the linker's own ---

    private byte[] LinkKernelWithoutApp()
    {
        LinkImage(null);
        return _harness.OutputBytes;
    }

    private sealed record Header(uint Type, uint Flags, ulong Offset, ulong Address, ulong PhysicalAddress, ulong FileSize,
        ulong MemorySize, ulong Alignment);

    private static List<Header> Headers(byte[] image)
    {
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(56));
        var headers = new List<Header>();
        for (int i = 0; i < count; i++)
        {
            var h = image.AsSpan((int)table + 56 * i);
            headers.Add(new Header(BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[24..]), BinaryPrimitives.ReadUInt64LittleEndian(h[32..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[40..]), BinaryPrimitives.ReadUInt64LittleEndian(h[48..])));
        }
        return headers;
    }

    private static List<Header> Loads(byte[] image) => Headers(image).Where(h => h.Type == 1).ToList();

    private static List<int> LoadIndices(byte[] image) =>
        Headers(image).Select((h, i) => (h, i)).Where(x => x.h.Type == 1).Select(x => x.i).ToList();

    private static void SetHeader(byte[] image, int index, int field, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(HeaderAt(image, index) + field), value);

    private static void SetHeader(byte[] image, int index, int field, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(HeaderAt(image, index) + field), value);

    private static int HeaderAt(byte[] image, int index) =>
        (int)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32)) + 56 * index;

    private static int SectionIndex(byte[] image, uint type)
    {
        int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(40));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(60));
        for (int i = 1; i < count; i++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(table + 64 * i + 4)) == type)
                return i;
        throw new InvalidOperationException($"no section of type {type}");
    }

    private static ulong ReadSymbol(byte[] executable, string name)
    {
        using var stream = new MemoryStream(executable);
        return ElfFile.Read(stream).Address(name);
    }

    private List<(ulong Address, uint Size, string Name)> KernelSymbols()
    {
        var elf = _harness.ReadOutput();
        var section = elf.Section("uk_ksyms");
        byte[] data = elf.ReadMemory(_harness.OutputBytes, section.VirtualAddress, (int)section.Size);
        var functions = KernelSymbolsCodec.Decode(data);
        Assert.NotNull(functions);
        return functions.Select(f => (f.Address, (uint)f.Size, f.Name)).ToList();
    }

    private List<string[]> MapRecords() =>
        File.ReadAllLines(_harness.MapPath).Where(l => l.Length != 0 && !l.StartsWith('#')).Select(l => l.TrimStart('\t').Split('\t'))
            .ToList();

    private static ulong AlignUp(ulong value) => (value + PageSize - 1) & ~(PageSize - 1);

    private static ulong Hex(string text) =>
        ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
