namespace Unikernel.Linker.Tests;

/// <summary>
/// Real objects with random corruption: the linker must either link or stop with a LinkerException
/// (one clear line), never crash with another exception and never hang. Bounded and seeded, so a
/// failure reproduces.
/// </summary>
public class MutationFuzzTests
{
    private static readonly TimeSpan PerLinkLimit = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Objects() => new()
    {
        "boot",                                    // our boot stub: relocations, notes, many symbols
        "musl-printf",                             // a member of musl's libc.a with TLS and GOT relocations
    };

    private static byte[] Original(string name) => name switch
    {
        "boot" => Unikernel.Boot.ElfObjectWriter.Write(Unikernel.Boot.BootStub.Build()),
        "musl-printf" => ExtractMember("/usr/lib/x86_64-linux-musl/libc.a", "vfprintf.lo") ?? ExtractMember("/usr/lib/x86_64-linux-musl/libc.a", "vfprintf.o")
                         ?? throw new InvalidOperationException("vfprintf member not found in musl's libc.a (install musl-dev)"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void RandomCorruptionIsAnErrorOrALinkNeverACrash(string name)
    {
        byte[] original = Original(name);
        var random = new Random(20261126 + name.Length);   // fixed per input: a failing round reproduces
        string dir = Directory.CreateTempSubdirectory("uk-ld-fuzz-").FullName;
        int errors = 0, links = 0;
        for (int round = 0; round < 500; round++)
        {
            byte[] mutated = (byte[])original.Clone();
            int flips = random.Next(1, 9);
            for (int f = 0; f < flips; f++)
            {
                // Headers and tables live at both ends of an object: bias some flips there.
                int at = random.Next(4) == 0 ? random.Next(Math.Min(64, mutated.Length)) : random.Next(mutated.Length);
                mutated[at] = random.Next(3) switch { 0 => (byte)random.Next(256), 1 => 0xFF, _ => 0x00 };
            }
            if (random.Next(10) == 0) Array.Resize(ref mutated, random.Next(mutated.Length));
            string input = Path.Combine(dir, $"in{round}.o");
            File.WriteAllBytes(input, mutated);
            var options = new LinkOptions
            {
                OutputPath = Path.Combine(dir, "out"),
                InputPaths = [input],
                Kind = name == "boot" ? OutputKind.Kernel : OutputKind.StaticExecutable,
                BaseAddress = name == "boot" ? LinkOptions.DefaultBaseAddress : LinkOptions.DefaultExecutableBaseAddress,
                EntrySymbol = name == "boot" ? LinkOptions.DefaultEntrySymbol : "vfprintf",
            };
            var link = Task.Run(() => Linker.LinkToFiles(options));
            try
            {
                Assert.True(link.Wait(PerLinkLimit), $"round {round}: the link hung (over {PerLinkLimit.TotalSeconds} s)");
                links++;
            }
            catch (AggregateException e) when (e.InnerException is LinkerException le)
            {
                errors++;
                string message = le.Describe();
                Assert.DoesNotContain('\n', message);
                Assert.False(File.Exists(options.OutputPath), $"round {round}: an output was left after '{message}'");
            }
            catch (AggregateException e)
            {
                Assert.Fail($"round {round}: {e.InnerException!.GetType().Name} instead of a linker error: {e.InnerException}");
            }
        }
        Assert.True(errors > 0, "no mutation was detected as an error: the fuzzer is not biting");
        Directory.Delete(dir, recursive: true);
    }

    private static byte[]? ExtractMember(string archivePath, string member)
    {
        // A tiny GNU ar reader for the test's own input; the linker has its own.
        byte[] a = File.ReadAllBytes(archivePath);
        int p = 8;
        string? longNames = null;
        while (p + 60 <= a.Length)
        {
            string header = System.Text.Encoding.ASCII.GetString(a, p, 60);
            string rawName = header[..16].Trim();
            int size = int.Parse(header.Substring(48, 10).Trim());
            int data = p + 60;
            if (rawName == "//") longNames = System.Text.Encoding.ASCII.GetString(a, data, size);
            string memberName = rawName.StartsWith('/') && rawName.Length > 1 && char.IsDigit(rawName[1]) && longNames is not null
                ? longNames[int.Parse(rawName[1..])..].Split('/')[0]
                : rawName.TrimEnd('/');
            if (memberName == member) return a.AsSpan(data, size).ToArray();
            p = data + size + (size & 1);
        }
        return null;
    }
}
