using System.Text.RegularExpressions;

namespace Unikernel.Runtime.Tests;

/// The kernel's system call table (runtime/Kernel/Syscalls/SyscallTable.cs) read as source: one
/// `Register(number, "name", argumentCount, handler)` row per call, in number order, with Linux's numbers
/// and names (checked against linux-x86_64-syscalls.txt, written from Linux's syscall_64.tbl) and a
/// handler named exactly as the call, so that a `uk.strace` line greps to its code.
public sealed partial class SyscallTableTests
{
    private sealed record Row(int Number, string Name, int ArgumentCount, string? Family, string? Handler, int[] TextArguments);

    [GeneratedRegex(@"^\s*Register\(\s*(\d+),\s*""([a-z0-9_]+)"",\s*(\d),\s*(?:null|&(\w+)\.(\w+))(?:,\s*endsThread: true)?(?:,\s*text: (Text\d(?:\s*\|\s*Text\d)*))?\);\s*$")]
    private static partial Regex RowPattern();

    private static string KernelPath(string relative) => Path.Combine(RepositoryRoot, "runtime", "Kernel", "Syscalls", relative);

    private static readonly string RepositoryRoot = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Unikernel.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (Unikernel.sln) not found above " + AppContext.BaseDirectory);
    }

    private static List<Row> Rows()
    {
        var rows = new List<Row>();
        foreach (string line in File.ReadLines(KernelPath("SyscallTable.cs")).Where(l => l.TrimStart().StartsWith("Register(", StringComparison.Ordinal)))
        {
            var match = RowPattern().Match(line);
            Assert.True(match.Success, "a row the test cannot read: " + line.Trim());
            rows.Add(new Row(int.Parse(match.Groups[1].Value), match.Groups[2].Value, int.Parse(match.Groups[3].Value),
                             match.Groups[4].Success ? match.Groups[4].Value : null, match.Groups[5].Success ? match.Groups[5].Value : null,
                             match.Groups[6].Success ? [.. Regex.Matches(match.Groups[6].Value, @"Text(\d)").Select(m => int.Parse(m.Groups[1].Value))] : []));
        }
        return rows;
    }

    private static Dictionary<int, string> LinuxNames() =>
        File.ReadLines(Path.Combine(RepositoryRoot, "tests", "Unikernel.Runtime.Tests", "linux-x86_64-syscalls.txt"))
            .Where(l => l.Length != 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' '))
            .ToDictionary(f => int.Parse(f[0]), f => f[1]);

    [Fact]
    public void RowsAreInNumberOrderAndFitTheTable()
    {
        var numbers = Rows().Select(r => r.Number).ToList();
        Assert.True(numbers.Count > 100);
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(numbers.Distinct().Count(), numbers.Count);
        Assert.True(numbers[^1] < 512, "the table holds 512 rows");
    }

    // The trace reads these as NUL-terminated strings: a path argument left unmarked prints as a pointer, one marked
    // wrongly would be read as text. These are the calls whose arguments Linux declares `const char __user *`.
    [Fact]
    public void StringArgumentsAreMarkedWhereLinuxTakesAPathOrName()
    {
        var expected = new Dictionary<string, int[]>
        {
            ["open"] = [0], ["stat"] = [0], ["lstat"] = [0], ["access"] = [0], ["execve"] = [0], ["truncate"] = [0],
            ["chdir"] = [0], ["rename"] = [0, 1], ["mkdir"] = [0], ["rmdir"] = [0], ["creat"] = [0], ["link"] = [0, 1],
            ["unlink"] = [0], ["symlink"] = [0, 1], ["readlink"] = [0], ["chmod"] = [0], ["chown"] = [0], ["lchown"] = [0],
            ["utime"] = [0], ["statfs"] = [0], ["utimes"] = [0], ["inotify_add_watch"] = [1], ["openat"] = [1],
            ["mkdirat"] = [1], ["fchownat"] = [1], ["futimesat"] = [1], ["newfstatat"] = [1], ["unlinkat"] = [1],
            ["renameat"] = [1, 3], ["symlinkat"] = [0, 2], ["readlinkat"] = [1], ["fchmodat"] = [1], ["faccessat"] = [1],
            ["utimensat"] = [1], ["renameat2"] = [1, 3], ["memfd_create"] = [0], ["statx"] = [1], ["faccessat2"] = [1],
        };
        foreach (var row in Rows())
        {
            int[] marked = expected.TryGetValue(row.Name, out var text) ? text : [];
            Assert.True(marked.SequenceEqual(row.TextArguments), $"{row.Name}: text arguments [{string.Join(", ", row.TextArguments)}], expected [{string.Join(", ", marked)}]");
            Assert.All(row.TextArguments, i => Assert.True(i < row.ArgumentCount, $"{row.Name}: argument {i} of {row.ArgumentCount}"));
        }
    }

    [Fact]
    public void EveryRowHasLinuxsNumberAndName()
    {
        var linux = LinuxNames();
        foreach (var row in Rows())
        {
            Assert.True(linux.ContainsKey(row.Number), $"{row.Name}: no Linux call {row.Number} in the facts");
            Assert.Equal(linux[row.Number], row.Name);
        }
    }

    [Fact]
    public void ArgumentCountsAreRegisterCounts()
    {
        Assert.All(Rows(), row => Assert.InRange(row.ArgumentCount, 0, 6));
    }

    [Fact]
    public void EveryHandlerIsNamedAfterItsCallAndDefinedInItsFamily()
    {
        foreach (var row in Rows().Where(r => r.Handler != null))
        {
            Assert.Equal(row.Name, row.Handler);
            string family = File.ReadAllText(KernelPath(row.Family + ".cs"));
            Assert.Contains($"public static long {row.Handler}(SyscallFrame call)", family);
        }
    }
}
