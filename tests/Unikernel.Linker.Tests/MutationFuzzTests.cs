using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Unikernel.Linker.Tests;

/// <summary>
/// Real inputs with random, field-aware corruption: the linker must either link or stop with a LinkerException (one
/// clear line), never crash with another exception and never hang. The mutations aim at the fields the linker does
/// arithmetic on: section headers (alignment, offset, size, type, link, info, entry size), relocation tables (where
/// they are, how many entries, each entry's offset, type, symbol index and addend), symbols, the ELF header's table
/// fields, archive member headers (size, name), the archive symbol index (count, member offsets, names) and its long
/// names, and an --app executable's program headers; plus plain byte flips and truncation.
/// Seeded and bounded (a few seconds in CI); <c>UK_LD_FUZZ_SEED</c> and <c>UK_LD_FUZZ_ROUNDS</c> (per input kind) make
/// a longer run, whose figures docs/benchmarks.md records ("Linker mutation fuzzing").
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerLinkLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(120);
    private const int DefaultRounds = 200;

    public static TheoryData<string> Kinds() => new()
    {
        "boot",         // our boot stub: relocations, notes, many symbols (kernel image)
        "musl-printf",  // a member of musl's libc.a with TLS and GOT relocations (static executable)
        "gnu-archive",  // an object and a GNU archive of two members, one with a long name
        "bsd-archive",  // the same archive in BSD format
        "app",          // a static executable embedded with --app
    };

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value : fallback;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RandomCorruptionIsAnErrorOrALinkNeverACrash(string kind)
    {
        int seed = Setting("UK_LD_FUZZ_SEED", 20261206);
        int rounds = Setting("UK_LD_FUZZ_ROUNDS", DefaultRounds);
        using var harness = new LinkHarness();
        var target = FuzzTarget.Create(kind, harness);
        // string.GetHashCode differs per process: a failing round must reproduce from the seed alone.
        var random = new Random(seed + kind.Sum(c => c));
        int links = 0, errors = 0, hangs = 0, slow = 0;
        var crashes = new List<string>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        int slowestRound = -1;
        // UK_LD_FUZZ_ROUND=N links only round N (the earlier rounds' mutations are still drawn): a reported round replays.
        int only = Setting("UK_LD_FUZZ_ROUND", -1);
        for (int round = 0; round < rounds; round++)
        {
            byte[] mutated = target.Mutate(random);
            if (only >= 0 && round != only)
                continue;
            if (only >= 0)
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"uk-ld-fuzz-{kind}-{seed}-{round}.bin"), mutated);
            File.WriteAllBytes(target.MutatedPath, mutated);
            File.Delete(target.Options.OutputPath);
            var linkStarted = System.Diagnostics.Stopwatch.StartNew();
            var link = Task.Run(() => Linker.LinkToFiles(target.Options));
            try
            {
                if (!link.Wait(PerLinkLimit))
                {
                    // Slow is not hung: a mutated alignment can ask for an image of a GiB of padding, which takes seconds
                    // to build and write. Only a link that does not end at all fails the test (and is not left running
                    // to slow the next rounds down).
                    slow++;
                    if (!link.Wait(HangLimit))
                    {
                        hangs++;
                        crashes.Add($"round {round}: hung (over {HangLimit.TotalSeconds} s)");
                        File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"uk-ld-fuzz-{kind}-{seed}-{round}.bin"), mutated);
                        continue;
                    }
                }
                links++;
            }
            catch (AggregateException e) when (e.InnerException is LinkerException error)
            {
                errors++;
                string message = error.Describe();
                if (message.Contains('\n') || message.Any(char.IsControl) || File.Exists(target.Options.OutputPath))
                    crashes.Add($"round {round}: error not one clean line, or an output was left: {message}");
            }
            catch (AggregateException e) when (e.InnerException is not LinkerException)
            {
                crashes.Add($"round {round}: {e.InnerException!.GetType().Name}: {e.InnerException.Message}\n{e.InnerException.StackTrace}");
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), $"uk-ld-fuzz-{kind}-{seed}-{round}.bin"), mutated);
            }
            finally
            {
                if (linkStarted.Elapsed > slowest)
                    (slowest, slowestRound) = (linkStarted.Elapsed, round);
            }
        }
        output.WriteLine($"{kind}: seed {seed}, {rounds} inputs in {started.Elapsed.TotalSeconds:F1} s: {links} linked, " +
            $"{errors} clean errors, {crashes.Count - hangs} crashes, {hangs} hangs, {slow} over {PerLinkLimit.TotalSeconds} s; " +
            $"slowest link {slowest.TotalMilliseconds:F0} ms (round {slowestRound})");
        Assert.True(crashes.Count == 0, string.Join("\n", crashes.Take(5)));
        Assert.True(only >= 0 || errors > rounds / 10, $"only {errors} of {rounds} mutations were rejected: the fuzzer is not biting");
    }

    /// <summary>One kind of input: where its mutated copy goes, how the link is run, and how to corrupt it.</summary>
    private sealed class FuzzTarget
    {
        private readonly byte[] _original;
        // Known integer fields (file offset and width) by kind: section alignments, section offsets and sizes, relocation
        // table headers, relocation entries, symbols, other header fields. A kind is picked first, then a field, so that
        // a few tables' worth of fields do not drown the rest.
        private readonly List<(int Offset, int Size)>[] _fields;
        private readonly List<(int Offset, int Size)> _texts;    // decimal or name fields of archive headers

        private FuzzTarget(byte[] original, string mutatedPath, LinkOptions options, List<(int, int)>[] fields,
            List<(int, int)> texts)
        {
            _original = original;
            MutatedPath = mutatedPath;
            Options = options;
            _fields = fields;
            _texts = texts;
        }

        public string MutatedPath { get; }
        public LinkOptions Options { get; }

        public static FuzzTarget Create(string kind, LinkHarness harness)
        {
            string mutated = Path.Combine(harness.Directory, "mutated");
            var kernel = new LinkOptions { OutputPath = harness.OutputPath, InputPaths = [mutated] };
            var executable = new LinkOptions
            {
                OutputPath = harness.OutputPath,
                Kind = OutputKind.StaticExecutable,
                BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
                EntrySymbol = "_start",
                InputPaths = [mutated],
                GcSections = true,
            };
            switch (kind)
            {
                case "boot":
                {
                    byte[] boot = Unikernel.Boot.ElfObjectWriter.Write(Unikernel.Boot.BootStub.Build());
                    // boot.o calls into the kernel: the stub's entry points keep the link going past resolution.
                    string stub = harness.Write("kernel.o", AppEmbeddingTests.KernelStub());
                    return new(boot, mutated, kernel with { InputPaths = [mutated, stub] }, ObjectFields(boot, 0), []);
                }
                case "musl-printf":
                {
                    byte[] printf = MuslMember("vfprintf.lo") ?? MuslMember("vfprintf.o")
                        ?? throw new InvalidOperationException("vfprintf member not found in musl's libc.a (install musl-dev)");
                    // With libc.a after it, the unmutated member links: mutations reach layout and relocation, not only
                    // the parser (alone, every link would stop at its first undefined symbol).
                    return new(printf, mutated, executable with { EntrySymbol = "vfprintf", InputPaths = [mutated, MuslLibc] },
                        ObjectFields(printf, 0), []);
                }
                case "gnu-archive" or "bsd-archive":
                {
                    var builder = new ArchiveBuilder()
                        .Member("helper.o", HelperObject("helper", "short_name_data"), "helper")
                        .Member("a-member-with-a-long-name.o", HelperObject("other", "long_name_data"), "other");
                    byte[] archive = kind == "gnu-archive" ? builder.BuildGnu() : builder.BuildBsd();
                    string main = harness.Write("main.o", MainObject());
                    var (fields, texts) = ArchiveFields(archive);
                    return new(archive, mutated, executable with { InputPaths = [main, mutated] }, fields, texts);
                }
                case "app":
                {
                    string appPath = Path.Combine(harness.Directory, "app");
                    Linker.LinkToFiles(executable with { OutputPath = appPath, InputPaths = [harness.Write("app.o", AppEmbeddingTests.AppObject())] });
                    byte[] app = File.ReadAllBytes(appPath);
                    string boot = harness.Write("boot.o", Unikernel.Boot.ElfObjectWriter.Write(Unikernel.Boot.BootStub.Build()));
                    string stub = harness.Write("kernel.o", AppEmbeddingTests.KernelStub());
                    return new(app, mutated, kernel with { InputPaths = [boot, stub], AppPath = mutated }, ExecutableFields(app), []);
                }
                default:
                    throw new ArgumentException(kind);
            }
        }

        public byte[] Mutate(Random random)
        {
            byte[] bytes = (byte[])_original.Clone();
            for (int count = random.Next(1, 4); count > 0; count--)
            {
                int choice = random.Next(10);
                var kind = _fields[random.Next(_fields.Length)];
                if (choice < 6 && kind.Count != 0)
                {
                    var (offset, size) = kind[random.Next(kind.Count)];
                    WriteInteger(bytes.AsSpan(offset, size), Interesting(random, ReadInteger(bytes.AsSpan(offset, size)), size));
                }
                else if (choice < 8 && _texts.Count != 0)
                {
                    var (offset, size) = _texts[random.Next(_texts.Count)];
                    Encoding.ASCII.GetBytes(InterestingText(random, size)).CopyTo(bytes.AsSpan(offset, size));
                }
                else
                {
                    int at = random.Next(bytes.Length);
                    bytes[at] = random.Next(3) switch { 0 => (byte)random.Next(256), 1 => 0xFF, _ => 0x00 };
                }
            }
            if (random.Next(20) == 0)
                Array.Resize(ref bytes, random.Next(bytes.Length));
            return bytes;
        }

        /// <summary>Values at the edges of what the linker's arithmetic handles, near the original, or random.</summary>
        private static ulong Interesting(Random random, ulong original, int size)
        {
            ulong max = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
            ulong value = random.Next(12) switch
            {
                0 => 0,
                1 => 1,
                2 => 0x10,
                3 => max,
                4 => max >> 1,
                5 => (max >> 1) + 1,
                6 => 1UL << random.Next(size * 8), // also every alignment up to 2^63
                7 => original + (ulong)random.Next(1, 64),
                8 => original - (ulong)random.Next(1, 64),
                9 => original * 2,
                10 => 0x8000_0000,
                _ => (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1),
            };
            return value & max;
        }

        private static string InterestingText(Random random, int size)
        {
            string text = random.Next(8) switch
            {
                0 => "",
                1 => "-1",
                2 => "9999999999",
                3 => "2147483647",
                4 => random.Next(100000).ToString(CultureInfo.InvariantCulture),
                5 => "/" + random.Next(200).ToString(CultureInfo.InvariantCulture),
                6 => "#1/" + random.Next(200).ToString(CultureInfo.InvariantCulture),
                _ => "x\u001b[2J/",
            };
            return text.Length > size ? text[..size] : text.PadRight(size);
        }

        private static ulong ReadInteger(ReadOnlySpan<byte> field) => field.Length switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(field),
        };

        private static void WriteInteger(Span<byte> field, ulong value)
        {
            switch (field.Length)
            {
                case 1: field[0] = (byte)value; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value); break;
                case 4: BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value); break;
                default: BinaryPrimitives.WriteUInt64LittleEndian(field, value); break;
            }
        }

        private const int Alignments = 0, Placement = 1, RelocationTables = 2, Relocations = 3, Symbols = 4, Headers = 5;

        private static List<(int, int)>[] NewFields() => [[], [], [], [], [], []];

        /// <summary>The integer fields of an ELF object at <paramref name="start"/> of <paramref name="file"/>: ELF
        /// header table fields, every section header field, every symbol and every RELA entry field.</summary>
        private static List<(int, int)>[] ObjectFields(byte[] file, int start, List<(int, int)>[]? fields = null)
        {
            fields ??= NewFields();
            fields[Headers].AddRange([(start + 40, 8), (start + 58, 2), (start + 60, 2), (start + 62, 2)]);
            var elf = file.AsSpan(start);
            int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf[40..]);
            int count = BinaryPrimitives.ReadUInt16LittleEndian(elf[60..]);
            for (int i = 1; i < count; i++)
            {
                int header = start + table + 64 * i;
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(header + 4));
                fields[Alignments].Add((header + 48, 8));
                fields[Placement].AddRange([(header + 24, 8), (header + 32, 8)]);
                fields[type == 4 ? RelocationTables : Headers].AddRange([(header + 24, 8), (header + 32, 8), (header + 40, 4), (header + 44, 4), (header + 56, 8)]);
                fields[Headers].AddRange([(header, 4), (header + 4, 4), (header + 8, 8)]);
                int contents = start + (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(header + 24));
                int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(header + 32));
                if (type == 4) // SHT_RELA: r_offset, r_info's type and symbol halves, r_addend
                    for (int entry = contents; entry + 24 <= contents + length; entry += 24)
                        fields[Relocations].AddRange([(entry, 8), (entry + 8, 4), (entry + 12, 4), (entry + 16, 8)]);
                if (type == 2) // SHT_SYMTAB: st_name, st_info, st_shndx, st_value, st_size
                    for (int entry = contents + 24; entry + 24 <= contents + length; entry += 24)
                        fields[Symbols].AddRange([(entry, 4), (entry + 4, 1), (entry + 6, 2), (entry + 8, 8), (entry + 16, 8)]);
            }
            return fields;
        }

        /// <summary>An executable's program header fields and ELF header table fields, plus its section headers.</summary>
        private static List<(int, int)>[] ExecutableFields(byte[] file)
        {
            var fields = ObjectFields(file, 0);
            fields[Headers].AddRange([(24, 8), (32, 8), (54, 2), (56, 2)]);
            int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(32));
            int count = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(56));
            for (int i = 0; i < count; i++)
            {
                int header = table + 56 * i;
                fields[Placement].AddRange([(header + 8, 8), (header + 16, 8), (header + 32, 8), (header + 40, 8)]);
                fields[Alignments].Add((header + 48, 8));
                fields[Headers].AddRange([(header, 4), (header + 4, 4)]);
            }
            return fields;
        }

        /// <summary>Each member header's name and size text, the symbol index's words (count, member offsets, name
        /// offsets), and every member object's fields in place.</summary>
        private static (List<(int, int)>[] Fields, List<(int, int)> Texts) ArchiveFields(byte[] archive)
        {
            var fields = NewFields();
            var texts = new List<(int, int)>();
            int position = 8;
            while (position + 60 <= archive.Length)
            {
                texts.Add((position, 16));
                texts.Add((position + 48, 10));
                int size = int.Parse(Encoding.ASCII.GetString(archive, position + 48, 10).Trim(), CultureInfo.InvariantCulture);
                int data = position + 60;
                string name = Encoding.ASCII.GetString(archive, position, 16).TrimEnd();
                int nameBytes = name.StartsWith("#1/", StringComparison.Ordinal) ? int.Parse(name[3..], CultureInfo.InvariantCulture) : 0;
                if (name == "/" || name.StartsWith("#1/", StringComparison.Ordinal) && Encoding.ASCII.GetString(archive, data, 9) == "__.SYMDEF")
                    for (int at = data + nameBytes; at + 4 <= data + size; at += 4)
                        fields[Headers].Add((at, 4));
                else if (archive.AsSpan(data + nameBytes).StartsWith("\u007fELF"u8))
                    ObjectFields(archive, data + nameBytes, fields);
                position = data + size + (size & 1);
            }
            return (fields, texts);
        }

        private static byte[] HelperObject(string function, string data) => new TestObjectBuilder()
            .Text(".text." + function, [0x48, 0x8b, 0x05, 0, 0, 0, 0, 0xc3])
            .Function(function, ".text." + function, 0, 8)
            .Data(".data." + data, new byte[16])
            .Object(data, ".data." + data, 0, 16)
            .Relocation(".text." + function, 3, R.PC32, data, -4)
            .Build();

        private static TestObjectBuilder MainObject() => new TestObjectBuilder()
            .Text(".text", [0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xc3])
            .Function("_start", ".text", 0, 11)
            .Undefined("helper")
            .Undefined("other")
            .Relocation(".text", 1, R.PLT32, "helper", -4)
            .Relocation(".text", 6, R.PLT32, "other", -4);

        private const string MuslLibc = "/usr/lib/x86_64-linux-musl/libc.a";

        private static byte[]? MuslMember(string member)
        {
            // A tiny GNU ar reader for the test's own input; the linker has its own.
            byte[] a = File.ReadAllBytes(MuslLibc);
            int p = 8;
            string? longNames = null;
            while (p + 60 <= a.Length)
            {
                string header = Encoding.ASCII.GetString(a, p, 60);
                string rawName = header[..16].Trim();
                int size = int.Parse(header.Substring(48, 10).Trim(), CultureInfo.InvariantCulture);
                int data = p + 60;
                if (rawName == "//") longNames = Encoding.ASCII.GetString(a, data, size);
                string memberName = rawName.StartsWith('/') && rawName.Length > 1 && char.IsDigit(rawName[1]) && longNames is not null
                    ? longNames[int.Parse(rawName[1..], CultureInfo.InvariantCulture)..].Split('/')[0]
                    : rawName.TrimEnd('/');
                if (memberName == member) return a.AsSpan(data, size).ToArray();
                p = data + size + (size & 1);
            }
            return null;
        }
    }
}
