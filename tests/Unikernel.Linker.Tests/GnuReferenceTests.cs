namespace Unikernel.Linker.Tests;

/// <summary>
/// Cross-checks against GCC and GNU ld when they are installed (reference only: the product never runs
/// them). Both linkers place code differently, so the comparison is on meaning, not bytes.
/// </summary>
public sealed class GnuReferenceTests : IDisposable
{
    private readonly LinkHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private const string Boot = """
        extern int compute(int);
        extern const char banner[];
        int result;
        static int twice(int x) { return x * 2; }
        __attribute__((section(".text.boot"))) void uk_pvh_entry(void) {
            result = twice(compute(banner[0]));
            for (;;) { }
        }
        """;

    private const string Library = """
        const char banner[] = "uk";
        static int table[4] = { 1, 2, 3, 4 };
        int *table_pointer = &table[2];
        int compute(int x) { return x + *table_pointer; }
        """;

    private string Compile(string name, string source)
    {
        string c = Path.Combine(_harness.Directory, name + ".c");
        string o = Path.Combine(_harness.Directory, name + ".o");
        File.WriteAllText(c, source);
        MuslToolchain.Run("gcc", ["-c", "-O1", "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-mcmodel=kernel", "-o", o, c]);
        return o;
    }

    [Fact]
    public void GccObjectsLinkToTheSameProgramAsGnuLd()
    {
        if (!MuslToolchain.Probe("gcc", "--version") || !MuslToolchain.Probe("ld", "--version") || !MuslToolchain.Probe("objdump", "--version"))
            return; // reference tools absent: nothing to compare against

        string boot = Compile("boot", Boot);
        string library = Compile("library", Library);
        _harness.Link(boot, library);
        string gnu = Path.Combine(_harness.Directory, "gnu.elf");
        MuslToolchain.Run("ld", ["-static", "-nostdlib", "-e", "uk_pvh_entry", "-Ttext-segment=0x100000", "-o", gnu, boot, library]);

        // Same defined symbols (ours adds the contract's linker-defined ones).
        var ours = Symbols(_harness.OutputPath);
        var theirs = Symbols(gnu);
        foreach (string name in new[] { "uk_pvh_entry", "compute", "banner", "result", "table_pointer", "twice", "table" })
        {
            if (theirs.ContainsKey(name))
                Assert.True(ours.ContainsKey(name), $"{name} missing from uk-ld output");
        }

        // Every call in our image reaches the symbol ld's image calls, by name.
        Assert.Equal(CallTargets(gnu), CallTargets(_harness.OutputPath));

        // Data pointers relocated the same way, relative to their targets.
        var elf = _harness.ReadOutput();
        ulong pointer = elf.ReadUInt64(_harness.OutputBytes, ours["table_pointer"]);
        Assert.Equal(ours["table"] + 8, pointer);
    }

    private static Dictionary<string, ulong> Symbols(string image)
    {
        var symbols = new Dictionary<string, ulong>();
        foreach (string line in MuslToolchain.Run("nm", [image]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3)
                symbols[parts[2]] = Convert.ToUInt64(parts[0], 16);
        }
        return symbols;
    }

    private static List<string> CallTargets(string image) =>
        MuslToolchain.Run("objdump", ["-d", "--no-show-raw-insn", image])
            .Split('\n')
            .Where(line => line.Contains("call") || line.Contains("jmp"))
            .Select(line => line[(line.IndexOf('<') + 1)..].TrimEnd('>'))
            .Where(target => !target.Contains('+'))
            .ToList();
}
