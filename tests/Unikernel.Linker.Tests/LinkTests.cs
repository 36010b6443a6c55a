using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

public sealed class LinkTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>An entry point that calls <c>callee</c> through a PLT32 relocation.</summary>
    internal static TestObjectBuilder Caller() => new TestObjectBuilder()
        .Text(".text.boot", [0x90, 0xe8, 0, 0, 0, 0, 0xc3])
        .Function("uk_pvh_entry", ".text.boot", 0, 7)
        .Undefined("callee")
        .Relocation(".text.boot", 2, R.PLT32, "callee", -4);

    internal static TestObjectBuilder Callee() => new TestObjectBuilder()
        .Text(".text", [0xcc, 0xcc, 0xc3])
        .Function("callee", ".text", 2, 1);

    [Fact]
    public void CallBetweenObjectsIsResolvedDirectly()
    {
        var result = _harness.Link(_harness.Write("a.o", Caller()), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        Assert.Equal(ElfFileType.Executable, elf.FileType);
        Assert.Equal(ElfArch.X86_64, (ElfArch)elf.Arch);
        ulong entry = elf.Address("uk_pvh_entry");
        ulong callee = elf.Address("callee");
        Assert.Equal(entry, elf.EntryPointAddress);
        Assert.Equal(entry, result.EntryAddress);
        Assert.Equal(0x100000UL, entry); // .text.boot is the first thing in the image
        int displacement = elf.ReadInt32(bytes, entry + 2);
        Assert.Equal((long)callee, (long)(entry + 6) + displacement);
        Assert.Equal(0xc3, elf.ReadMemory(bytes, callee, 1)[0]);
    }

    [Fact]
    public void AbsoluteRelocationsGetFinalAddresses()
    {
        var data = new TestObjectBuilder()
            .Data(".data", new byte[24])
            .Object("table", ".data", 0, 24)
            .Relocation(".data", 0, R.X86_64_64, "callee", 0x10)
            .Relocation(".data", 8, R.X86_64_32, "callee", 1)
            .Relocation(".data", 12, R.X86_64_32S, "callee", -1)
            .Relocation(".data", 16, R.PC64, "callee")
            .Undefined("callee");

        _harness.Link(_harness.Write("a.o", Caller()), _harness.Write("b.o", Callee()), _harness.Write("c.o", data));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong callee = elf.Address("callee");
        ulong table = elf.Address("table");
        Assert.Equal(callee + 0x10, elf.ReadUInt64(bytes, table));
        Assert.Equal((uint)(callee + 1), elf.ReadUInt32(bytes, table + 8));
        Assert.Equal((int)(callee - 1), elf.ReadInt32(bytes, table + 12));
        Assert.Equal(callee - (table + 16), elf.ReadUInt64(bytes, table + 16));
    }

    [Fact]
    public void RelocationAgainstSectionSymbolUsesSectionAddress()
    {
        var obj = Caller()
            .ReadOnly(".rodata", [1, 2, 3, 4])
            .Data(".data", new byte[8])
            .Object("pointer", ".data", 0, 8)
            .Relocation(".data", 0, R.X86_64_64, ".rodata", 2);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        ulong rodata = elf.Section(".rodata").VirtualAddress;
        Assert.Equal(rodata + 2, elf.ReadUInt64(_harness.OutputBytes, elf.Address("pointer")));
    }

    [Fact]
    public void SectionsAreGroupedIntoThreePageAlignedSegments()
    {
        var obj = Caller()
            .Text("__managedcode", [0xc3], 16)
            .Text(".text.unlikely", [0xc3], 4)
            .Section(".note.Xen", ElfSectionType.Note, ElfSectionFlags.Alloc,
                [4, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0, (byte)'X', (byte)'e', (byte)'n', 0, 0, 0, 0, 0], 4)
            .Relocation(".note.Xen", 16, R.X86_64_32, "uk_pvh_entry")
            .ReadOnly(".rodata.str", [1, 2, 3])
            .ReadOnly(".eh_frame", new byte[8])
            .Data(".data.boot", new byte[16])
            .Data("__modules", new byte[8])
            .Bss(".bss.boot", 0x3000, 4096)
            .Section(".comment", ElfSectionType.ProgBits, ElfSectionFlags.None, [1, 2, 3])
            .Section(".debug_info", ElfSectionType.ProgBits, ElfSectionFlags.None, [1, 2, 3]);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        var names = elf.Sections.Select(s => s.Name.Value).ToList();
        Assert.Equal(
            [
                "", ".text.boot", ".text", "__managedcode", ".note.Xen", ".rodata", ".eh_frame", "uk_ksyms", ".data",
                "__modules", ".bss", ".symtab", ".strtab", ".shstrtab",
            ], names);

        var loads = elf.Segments.Where(s => s.Type == ElfSegmentTypeCore.Load).ToList();
        Assert.Equal(3, loads.Count);
        Assert.Equal(ElfSegmentFlagsCore.Readable | ElfSegmentFlagsCore.Executable, (ElfSegmentFlagsCore)loads[0].Flags.Value);
        Assert.Equal(ElfSegmentFlagsCore.Readable, (ElfSegmentFlagsCore)loads[1].Flags.Value);
        Assert.Equal(ElfSegmentFlagsCore.Readable | ElfSegmentFlagsCore.Writable, (ElfSegmentFlagsCore)loads[2].Flags.Value);
        foreach (var load in loads)
        {
            Assert.Equal(0UL, load.VirtualAddress % 4096);
            Assert.Equal(load.VirtualAddress % 4096, load.Position % 4096);
            Assert.Equal(load.VirtualAddress, load.PhysicalAddress);
        }
        Assert.True(loads[0].VirtualAddress + loads[0].SizeInMemory <= loads[1].VirtualAddress);
        Assert.True(loads[1].VirtualAddress + loads[1].SizeInMemory <= loads[2].VirtualAddress);

        // .bss is in memory only and keeps its alignment.
        var bss = elf.Section(".bss");
        Assert.Equal(ElfSectionType.NoBits, bss.Type);
        Assert.Equal(0UL, bss.VirtualAddress % 4096);
        Assert.Equal(bss.VirtualAddress + 0x3000, loads[2].VirtualAddress + loads[2].SizeInMemory);
        Assert.True(loads[2].Size < loads[2].SizeInMemory);

        // The PVH note is reachable through PT_NOTE and carries the entry address.
        var note = Assert.Single(elf.Segments, s => s.Type == ElfSegmentTypeCore.Note);
        Assert.Equal(elf.Section(".note.Xen").VirtualAddress, note.VirtualAddress);
        Assert.Equal(20UL, note.Size);
        Assert.Equal((uint)elf.Address("uk_pvh_entry"), elf.ReadUInt32(_harness.OutputBytes, note.VirtualAddress + 16));
    }

    [Fact]
    public void LinkerDefinedSymbolsDescribeTheImage()
    {
        var obj = Caller()
            .Data("__modules", new byte[16])
            .Bss(".bss", 100)
            .Data(".data", new byte[7 * 8])
            .Object("info", ".data", 0, 56)
            .Relocation(".data", 0, R.X86_64_64, "__image_start")
            .Relocation(".data", 8, R.X86_64_64, "__image_end")
            .Relocation(".data", 16, R.X86_64_64, "__start___modules")
            .Relocation(".data", 24, R.X86_64_64, "__stop___modules")
            .Relocation(".data", 32, R.X86_64_64, "__start_uk_ksyms")
            .Relocation(".data", 40, R.X86_64_64, "__stop_absent_section")
            .Relocation(".data", 48, R.X86_64_64, "__text_end")
            .Undefined("__image_start").Undefined("__image_end").Undefined("__start___modules")
            .Undefined("__stop___modules").Undefined("__start_uk_ksyms").Undefined("__stop_absent_section")
            .Undefined("__text_end");

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong info = elf.Address("info");
        var modules = elf.Section("__modules");
        var loads = elf.Segments.Where(s => s.Type == ElfSegmentTypeCore.Load).ToList();
        ulong end = loads[^1].VirtualAddress + loads[^1].SizeInMemory;

        Assert.Equal(0x100000UL, elf.ReadUInt64(bytes, info));
        ulong imageEnd = elf.ReadUInt64(bytes, info + 8);
        Assert.Equal(0UL, imageEnd % 4096);
        Assert.True(imageEnd >= end && imageEnd - end < 4096);
        Assert.Equal(modules.VirtualAddress, elf.ReadUInt64(bytes, info + 16));
        Assert.Equal(modules.VirtualAddress + 16, elf.ReadUInt64(bytes, info + 24));
        Assert.Equal(elf.Section("uk_ksyms").VirtualAddress, elf.ReadUInt64(bytes, info + 32));
        Assert.NotEqual(0UL, elf.ReadUInt64(bytes, info + 40));
        Assert.Equal(loads[0].VirtualAddress + loads[0].SizeInMemory, elf.ReadUInt64(bytes, info + 48));
        Assert.Equal(loads[0].VirtualAddress, elf.Address("__text_start"));
    }

    [Fact]
    public void WeakUndefinedResolvesToZeroAndWeakLosesToStrong()
    {
        var obj = Caller()
            .Data(".data", new byte[16])
            .Object("slots", ".data", 0, 16)
            .Undefined("optional", LibObjectFile.Elf.ElfSymbolBind.Weak)
            .Relocation(".data", 0, R.X86_64_64, "optional", 5)
            .Relocation(".data", 8, R.X86_64_64, "hook")
            .Text(".text.weak", [0xc3])
            .Function("hook", ".text.weak", 0, 1, ElfSymbolBind.Weak);
        var strong = Callee().Text(".text.hook", [0x90, 0xc3]).Function("hook", ".text.hook", 0, 2);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", strong));

        var elf = _harness.ReadOutput();
        ulong slots = elf.Address("slots");
        Assert.Equal(5UL, elf.ReadUInt64(_harness.OutputBytes, slots));
        Assert.Equal(elf.Address("hook"), elf.ReadUInt64(_harness.OutputBytes, slots + 8));
        Assert.Equal(2UL, elf.Symbol("hook").Size);
    }

    [Fact]
    public void CommonSymbolsAreAllocatedInBss()
    {
        var a = Caller().Common("counter", 4, 4).Common("buffer", 64, 32)
            .Data(".data", new byte[8]).Object("p", ".data", 0, 8)
            .Relocation(".data", 0, R.X86_64_64, "buffer");
        var b = Callee().Common("counter", 8, 8);

        _harness.Link(_harness.Write("a.o", a), _harness.Write("b.o", b));

        var elf = _harness.ReadOutput();
        var bss = elf.Section(".bss");
        ulong buffer = elf.Address("buffer");
        ulong counter = elf.Address("counter");
        Assert.InRange(buffer, bss.VirtualAddress, bss.VirtualAddress + bss.Size - 64);
        Assert.InRange(counter, bss.VirtualAddress, bss.VirtualAddress + bss.Size - 8);
        Assert.Equal(0UL, buffer % 32);
        Assert.Equal(0UL, counter % 8);
        Assert.Equal(8UL, elf.Symbol("counter").Size);
        Assert.Equal(buffer, elf.ReadUInt64(_harness.OutputBytes, elf.Address("p")));
    }

    [Fact]
    public void SecondCopyOfComdatGroupIsDropped()
    {
        TestObjectBuilder WithInline(byte marker) => new TestObjectBuilder()
            .Text(".text.inline_fn", [marker, 0xc3])
            .Function("inline_fn", ".text.inline_fn", 0, 2, ElfSymbolBind.Weak)
            .ComdatGroup("inline_fn", ".text.inline_fn");
        var a = Caller().Text(".text.inline_fn", [0xAA, 0xc3])
            .Function("inline_fn", ".text.inline_fn", 0, 2, ElfSymbolBind.Weak)
            .ComdatGroup("inline_fn", ".text.inline_fn");
        var b = WithInline(0xBB).Text(".text", [0xc3]).Function("callee", ".text", 0, 1)
            .Text(".text.user", [0xe8, 0, 0, 0, 0]).Function("user", ".text.user", 0, 5)
            .Relocation(".text.user", 1, R.PLT32, "inline_fn", -4);

        var result = _harness.Link(_harness.Write("a.o", a), _harness.Write("b.o", b));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong inline = elf.Address("inline_fn");
        Assert.Equal(0xAA, elf.ReadMemory(bytes, inline, 1)[0]);
        ulong user = elf.Address("user");
        Assert.Equal((long)inline, (long)(user + 5) + elf.ReadInt32(bytes, user + 1));
        Assert.Single(result.Map.Split('\n'), line => line.Contains("\t.text.inline_fn\t"));
    }

    [Fact]
    public void GotLoadOfMovIsRelaxedToLea()
    {
        // mov rax, [rip + callee@GOTPCREL] = 48 8b 05 <rel32>
        var obj = Caller()
            .Text(".text.got", [0x48, 0x8b, 0x05, 0, 0, 0, 0, 0xc3])
            .Function("load", ".text.got", 0, 8)
            .Relocation(".text.got", 3, R.REX_GOTPCRELX, "callee", -4);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong load = elf.Address("load");
        Assert.Equal(new byte[] { 0x48, 0x8d, 0x05 }, elf.ReadMemory(bytes, load, 3));
        Assert.Equal((long)elf.Address("callee"), (long)(load + 7) + elf.ReadInt32(bytes, load + 3));
        Assert.DoesNotContain(elf.Sections, s => s.Name.Value == ".got");
    }

    [Fact]
    public void PlainGotPcRelGetsAGotSlot()
    {
        // add rax, [rip + callee@GOTPCREL] = 48 03 05 <rel32>: not relaxable, needs a real slot.
        var obj = Caller()
            .Text(".text.got", [0x48, 0x03, 0x05, 0, 0, 0, 0, 0xc3])
            .Function("load", ".text.got", 0, 8)
            .Relocation(".text.got", 3, R.GOTPCREL, "callee", -4);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong load = elf.Address("load");
        var got = elf.Section(".got");
        ulong slot = (ulong)((long)(load + 7) + elf.ReadInt32(bytes, load + 3));
        Assert.Equal(got.VirtualAddress, slot);
        Assert.Equal(elf.Address("callee"), elf.ReadUInt64(bytes, slot));
        Assert.Equal(0x03, elf.ReadMemory(bytes, load + 1, 1)[0]);
    }

    [Fact]
    public void UnusedTlsSectionsAreDropped()
    {
        // Like ILC's .tdata: present, non-empty, with a symbol, but nothing refers to it.
        var obj = Caller()
            .Section(".tdata", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write | ElfSectionFlags.Tls,
                new byte[24])
            .Symbol("tls_InlinedThreadStatics", ".tdata", 0, 0, ElfSymbolType.Tls, ElfSymbolBind.Global)
            .Section(".tbss", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write | ElfSectionFlags.Tls, []);

        _harness.Link(_harness.Write("a.o", obj), _harness.Write("b.o", Callee()));

        var elf = _harness.ReadOutput();
        Assert.DoesNotContain(elf.Sections, s => s.Name.Value is ".tdata" or ".tbss");
        Assert.DoesNotContain(elf.Sections.OfType<ElfSymbolTable>().Single().Entries,
            s => s.Name.Value == "tls_InlinedThreadStatics");
    }

    [Fact]
    public void BaseAddressAndEntryCanBeChosen()
    {
        string a = _harness.Write("a.o", Caller());
        string b = _harness.Write("b.o", Callee());
        var options = CommandLine.Parse(["-o", _harness.OutputPath, "--base", "0x200000", "--entry", "callee", a, b])!;

        Linker.LinkToFiles(options);

        var elf = _harness.ReadOutput();
        Assert.Equal(0x200000UL, elf.Address("__image_start"));
        Assert.Equal(elf.Address("callee"), elf.EntryPointAddress);
    }
}
