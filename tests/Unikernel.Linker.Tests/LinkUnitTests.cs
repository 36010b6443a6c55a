using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

/// <summary>Link units (--unit/--export): two programs with clashing names in one image.</summary>
public sealed class LinkUnitTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Entry that calls <c>helper</c> (its own unit's) and then <c>service</c> (another unit's export).</summary>
    private static TestObjectBuilder AppEntry() => new TestObjectBuilder()
        .Text(".text.boot", [0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xc3])
        .Function("uk_pvh_entry", ".text.boot", 0, 11)
        .Undefined("helper")
        .Undefined("service")
        .Relocation(".text.boot", 1, R.PLT32, "helper", -4)
        .Relocation(".text.boot", 6, R.PLT32, "service", -4);

    /// <summary><c>helper</c> whose first byte tells the units apart, plus a <c>counter</c> both units define.</summary>
    private static TestObjectBuilder Helper(byte marker) => new TestObjectBuilder()
        .Text(".text", [marker, 0xc3])
        .Function("helper", ".text", 0, 2)
        .Data(".data", [marker, 0, 0, 0, 0, 0, 0, 0])
        .Object("counter", ".data", 0, 8);

    /// <summary><c>service</c> calls its own unit's <c>helper</c>.</summary>
    private static TestObjectBuilder Service() => new TestObjectBuilder()
        .Text(".text.service", [0xe8, 0, 0, 0, 0, 0xc3])
        .Function("service", ".text.service", 0, 6)
        .Undefined("helper")
        .Relocation(".text.service", 1, R.PLT32, "helper", -4);

    private LinkResult LinkArgs(params string[] args)
    {
        var options = CommandLine.Parse(["-o", _harness.OutputPath, "--map", _harness.MapPath, .. args])!;
        return Linker.LinkToFiles(options);
    }

    private string LinkArgsError(params string[] args)
    {
        var error = Assert.Throws<LinkerException>(() => LinkArgs(args));
        Assert.False(File.Exists(_harness.OutputPath), "a failed link must not leave an output file");
        return "uk-ld: error: " + error.Describe();
    }

    private static ulong CallTarget(ElfFile elf, byte[] bytes, ulong call) =>
        (ulong)((long)(call + 5) + elf.ReadInt32(bytes, call + 1));

    [Fact]
    public void EachUnitResolvesToItsOwnDefinitionsAndImportsExports()
    {
        string app = _harness.Write("app.o", AppEntry());
        string appHelper = _harness.Write("app_helper.o", Helper(0xAA));
        string service = _harness.Write("service.o", Service());
        string kernelHelper = _harness.Write("kernel_helper.o", Helper(0xBB));

        var result = LinkArgs("--unit", "app", app, appHelper, "--unit", "kernel", "--export", "service", service, kernelHelper);

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        ulong entry = elf.Address("app:uk_pvh_entry");
        Assert.Equal(entry, result.EntryAddress);
        ulong appHelperAddress = CallTarget(elf, bytes, entry);
        ulong serviceAddress = CallTarget(elf, bytes, entry + 5);
        Assert.Equal(elf.Address("app:helper"), appHelperAddress);
        Assert.Equal(0xAA, elf.ReadMemory(bytes, appHelperAddress, 1)[0]);
        Assert.Equal(elf.Address("kernel:service"), serviceAddress);
        ulong kernelHelperAddress = CallTarget(elf, bytes, serviceAddress);
        Assert.Equal(elf.Address("kernel:helper"), kernelHelperAddress);
        Assert.Equal(0xBB, elf.ReadMemory(bytes, kernelHelperAddress, 1)[0]);
        Assert.NotEqual(elf.Address("app:counter"), elf.Address("kernel:counter"));
        // Image-wide names stay unqualified and appear once.
        Assert.Single(elf.Sections.OfType<ElfSymbolTable>().Single().Entries, s => s.Name.Value == "__image_start");
    }

    [Fact]
    public void MapNamesUnitsExportsAndTheUnitOfEveryInput()
    {
        string app = _harness.Write("app.o", AppEntry());
        string appHelper = _harness.Write("app_helper.o", Helper(0xAA));
        string service = _harness.Write("service.o", Service());
        string kernelHelper = _harness.Write("kernel_helper.o", Helper(0xBB));

        LinkArgs("--unit", "app", app, appHelper, "--unit", "kernel", "--export", "service", service, kernelHelper);

        var elf = _harness.ReadOutput();
        var records = File.ReadAllLines(_harness.MapPath).Where(l => l.Length != 0 && !l.StartsWith('#'))
            .Select(l => l.TrimStart('\t').Split('\t')).ToList();
        Assert.Equal([["unit", "app", "0x2"], ["unit", "kernel", "0x2"]], records.Where(r => r[0] == "unit"));
        Assert.Equal(["export", "kernel", "service", $"0x{elf.Address("kernel:service"):x}"], records.Single(r => r[0] == "export"));
        var inputs = records.Where(r => r[0] == "input").ToList();
        Assert.All(inputs, r => Assert.Equal(7, r.Length));
        Assert.Equal("app", inputs.Single(r => r[1] == appHelper && r[2] == ".text")[6]);
        Assert.Equal("kernel", inputs.Single(r => r[1] == kernelHelper && r[2] == ".text")[6]);
        Assert.Equal("-", inputs.Single(r => r[1] == "<linker>" && r[2] == "uk_ksyms")[6]);
        Assert.Equal("kernel", records.Single(r => r[0] == "file" && r[1] == service)[7]);
        // Pieces of one output section are grouped unit by unit.
        var text = inputs.Where(r => r[2] == ".text").Select(r => r[6]).ToList();
        Assert.Equal(["app", "kernel"], text);
    }

    [Fact]
    public void KernelSymbolTableQualifiesNamesOfNamedUnits()
    {
        string app = _harness.Write("app.o", AppEntry());
        string appHelper = _harness.Write("app_helper.o", Helper(0xAA));
        string service = _harness.Write("service.o", Service());
        string kernelHelper = _harness.Write("kernel_helper.o", Helper(0xBB));

        LinkArgs("--unit", "app", app, appHelper, "--unit", "kernel", "--export", "service", service, kernelHelper);

        var elf = _harness.ReadOutput();
        var ksyms = elf.Section("uk_ksyms");
        var bytes = elf.ReadMemory(_harness.OutputBytes, ksyms.VirtualAddress, (int)ksyms.Size);
        string strings = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("app:helper\0", strings);
        Assert.Contains("kernel:helper\0", strings);
        Assert.Contains("kernel:service\0", strings);
    }

    [Fact]
    public void StartAndStopOfASectionArePerUnit()
    {
        TestObjectBuilder WithSection(int size, bool entry)
        {
            var builder = new TestObjectBuilder()
                .Data("mysec", Enumerable.Repeat((byte)size, size).ToArray())
                .Data(".data.ranges", new byte[16])
                .Object("ranges", ".data.ranges", 0, 16)
                .Undefined("__start_mysec")
                .Undefined("__stop_mysec")
                .Relocation(".data.ranges", 0, R.X86_64_64, "__start_mysec")
                .Relocation(".data.ranges", 8, R.X86_64_64, "__stop_mysec");
            return entry ? builder.Text(".text.boot", [0xc3]).Function("uk_pvh_entry", ".text.boot", 0, 1) : builder;
        }
        string a = _harness.Write("a.o", WithSection(8, entry: true));
        string b = _harness.Write("b.o", WithSection(24, entry: false));

        LinkArgs("--unit", "a", a, "--unit", "b", b);

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        var mysec = elf.Section("mysec");
        ulong aStart = elf.ReadUInt64(bytes, elf.Address("a:ranges"));
        ulong aStop = elf.ReadUInt64(bytes, elf.Address("a:ranges") + 8);
        ulong bStart = elf.ReadUInt64(bytes, elf.Address("b:ranges"));
        ulong bStop = elf.ReadUInt64(bytes, elf.Address("b:ranges") + 8);
        Assert.Equal(8UL, aStop - aStart);
        Assert.Equal(24UL, bStop - bStart);
        Assert.Equal(mysec.VirtualAddress, aStart);
        Assert.True(bStart >= aStop);
        Assert.Equal(mysec.VirtualAddress + mysec.Size, bStop);
        Assert.All(elf.ReadMemory(bytes, bStart, 24), value => Assert.Equal(24, value));
        Assert.Equal(aStart, elf.Address("a:__start_mysec"));
        Assert.Equal(bStop, elf.Address("b:__stop_mysec"));
    }

    [Fact]
    public void DuplicateInsideOneUnitIsStillAnError()
    {
        string app = _harness.Write("app.o", AppEntry());
        string one = _harness.Write("one.o", Helper(0xAA));
        string two = _harness.Write("two.o", Helper(0xBB));

        string line = LinkArgsError("--unit", "app", app, one, "--unit", "kernel", two, "--export", "helper", two);

        Assert.StartsWith($"uk-ld: error: {two}: .text+0x0: duplicate symbol (first defined in {two})", line);
        Assert.EndsWith("'helper' (unit 'kernel')", line);
    }

    [Fact]
    public void UndefinedSymbolNamesTheUnit()
    {
        string app = _harness.Write("app.o", AppEntry());
        string helper = _harness.Write("helper.o", Helper(0xAA));
        string service = _harness.Write("service.o", Service());

        // service.o's helper is not exported by the app: units do not see each other's private names.
        string line = LinkArgsError("--unit", "app", app, helper, "--unit", "kernel", "--export", "service", service);

        Assert.Equal($"uk-ld: error: {service}: .text.service+0x1: undefined symbol 'helper' (unit 'kernel')", line);
    }

    [Fact]
    public void ExportOfASymbolTheUnitDoesNotDefineIsAnError()
    {
        string app = _harness.Write("app.o", AppEntry());
        string helper = _harness.Write("helper.o", Helper(0xAA));
        string service = _harness.Write("service.o", Service());

        string line = LinkArgsError("--unit", "app", app, helper, service, "--unit", "kernel", "--export", "service", helper);

        Assert.Equal("uk-ld: error: exported symbol is not defined by its unit 'service' (unit 'kernel')", line);
    }

    [Fact]
    public void TwoUnitsExportingOneNameIsAnError()
    {
        string app = _harness.Write("app.o", AppEntry());
        string service = _harness.Write("service.o", Service());
        string helper = _harness.Write("helper.o", Helper(0xAA));

        string line = LinkArgsError("--unit", "app", "--export", "helper", app, helper, "--unit", "kernel", "--export", "helper",
            service, helper);

        Assert.Equal("uk-ld: error: duplicate export (units 'app' and 'kernel') 'helper'", line);
    }

    [Fact]
    public void ComdatGroupsAreDeduplicatedPerUnit()
    {
        TestObjectBuilder WithInline(byte marker) => new TestObjectBuilder()
            .Text(".text.inline_fn", [marker, 0xc3])
            .Function("inline_fn", ".text.inline_fn", 0, 2, ElfSymbolBind.Weak)
            .ComdatGroup("inline_fn", ".text.inline_fn");
        string entry = _harness.Write("entry.o", new TestObjectBuilder().Text(".text.boot", [0xc3])
            .Function("uk_pvh_entry", ".text.boot", 0, 1));
        string a1 = _harness.Write("a1.o", WithInline(0xA1));
        string a2 = _harness.Write("a2.o", WithInline(0xA2));
        string b1 = _harness.Write("b1.o", WithInline(0xB1));
        string b2 = _harness.Write("b2.o", WithInline(0xB2));

        var result = LinkArgs("--unit", "a", entry, a1, a2, "--unit", "b", b1, b2);

        var elf = _harness.ReadOutput();
        var bytes = _harness.OutputBytes;
        Assert.Equal(0xA1, elf.ReadMemory(bytes, elf.Address("a:inline_fn"), 1)[0]);
        Assert.Equal(0xB1, elf.ReadMemory(bytes, elf.Address("b:inline_fn"), 1)[0]);
        Assert.Equal(2, result.Map.Split('\n').Count(line => line.Contains("\t.text.inline_fn\t")));
    }

    [Fact]
    public void UnitLinksAreDeterministic()
    {
        string[] Args()
        {
            string app = _harness.Write("app.o", AppEntry());
            string appHelper = _harness.Write("app_helper.o", Helper(0xAA));
            string service = _harness.Write("service.o", Service());
            string kernelHelper = _harness.Write("kernel_helper.o", Helper(0xBB));
            return ["--unit", "app", app, appHelper, "--unit", "kernel", "--export", "service", service, kernelHelper];
        }

        var first = LinkArgs(Args());
        byte[] firstBytes = _harness.OutputBytes;
        var second = LinkArgs(Args());

        Assert.Equal(firstBytes, _harness.OutputBytes);
        Assert.Equal(first.Map, second.Map);
    }

    [Fact]
    public void InputsBeforeTheFirstUnitFormTheImplicitUnit()
    {
        var options = CommandLine.Parse(["-o", "out", "--export", "x", "a.o", "--unit", "kernel", "--export", "y", "b.o", "c.a"])!;

        Assert.Equal(["default", "kernel"], options.Units.Select(u => u.Name));
        Assert.True(options.Units[0].IsImplicit);
        Assert.Equal(["x"], options.Units[0].Exports);
        Assert.Equal(1, options.Units[1].FirstInput);
        Assert.Equal(["y"], options.Units[1].Exports);
        Assert.Empty(CommandLine.Parse(["-o", "out", "a.o"])!.Units);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("has:colon")]
    [InlineData("")]
    public void BadUnitNamesAreRejected(string name)
    {
        Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "out", "--unit", name, "a.o"]));
    }

    [Fact]
    public void UnitInsideAGroupOrDeclaredTwiceIsRejected()
    {
        var inGroup = Assert.Throws<LinkerException>(() =>
            CommandLine.Parse(["-static", "-o", "out", "--start-group", "a.a", "--unit", "k", "b.a", "--end-group"]));
        Assert.Contains("inside --start-group", inGroup.Problem);
        var twice = Assert.Throws<LinkerException>(() => CommandLine.Parse(["-o", "out", "--unit", "k", "a.o", "--unit", "k", "b.o"]));
        Assert.Contains("declared twice", twice.Problem);
    }

    [Fact]
    public void EntryDefinedByTwoUnitsMustBeQualified()
    {
        string a = _harness.Write("a.o", AppEntry().Text(".text", [0xc3]).Function("helper", ".text", 0, 1)
            .Text(".text.s", [0xc3]).Function("service", ".text.s", 0, 1));
        string b = _harness.Write("b.o", AppEntry().Text(".text", [0xc3]).Function("helper", ".text", 0, 1)
            .Text(".text.s", [0xc3]).Function("service", ".text.s", 0, 1));

        string line = LinkArgsError("--unit", "a", a, "--unit", "b", b);
        Assert.Contains("entry symbol is defined by units 'a' and 'b'", line);

        var result = LinkArgs("--entry", "b:uk_pvh_entry", "--unit", "a", a, "--unit", "b", b);
        Assert.Equal(_harness.ReadOutput().Address("b:uk_pvh_entry"), result.EntryAddress);
    }
}
