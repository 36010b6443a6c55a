// FileSystemWatcher (inotify on Linux) on a directory under Path.GetTempPath(): each step changes the
// directory, waits for the event it must cause, collects what else arrives within a short while, and
// prints the distinct events in order, so the line does not depend on how the watcher's thread and
// the kernel batch them (repeated IN_MODIFY can be one event or several).
using System.Collections.Concurrent;

namespace Conformance;

public static class FileWatching
{
    private static readonly TimeSpan ExpectedWithin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    public static void Run()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"watched-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        try
        {
            Exercise(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Exercise(string dir)
    {
        var events = new BlockingCollection<string>();
        using var watcher = new FileSystemWatcher(dir)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Created += (_, e) => events.Add($"created {e.Name}");
        watcher.Changed += (_, e) => events.Add($"changed {e.Name}");
        watcher.Deleted += (_, e) => events.Add($"deleted {e.Name}");
        watcher.Renamed += (_, e) => events.Add($"renamed {e.OldName} -> {e.Name}");
        watcher.Error += (_, e) => events.Add($"error {e.GetException().GetType().Name}");
        watcher.EnableRaisingEvents = true;

        string a = Path.Combine(dir, "a.txt"), b = Path.Combine(dir, "b.txt"), sub = Path.Combine(dir, "sub");
        Step(events, "create a.txt", () => File.Create(a).Dispose(), "created a.txt");
        Step(events, "write a.txt", () => File.WriteAllText(a, "hello"), "changed a.txt");
        Step(events, "append a.txt", () => File.AppendAllText(a, ", world"), "changed a.txt");
        Step(events, "rename a.txt to b.txt", () => File.Move(a, b), "renamed a.txt -> b.txt");
        Step(events, "mkdir sub", () => Directory.CreateDirectory(sub), "created sub");
        Step(events, "delete b.txt", () => File.Delete(b), "deleted b.txt");
        Step(events, "rmdir sub", () => Directory.Delete(sub), "deleted sub");

        watcher.EnableRaisingEvents = false;
        File.WriteAllText(Path.Combine(dir, "c.txt"), "unwatched");
        bool quiet = !events.TryTake(out string? late, Settle);
        Report.Line("watcher", $"no events once disabled: {quiet}{(quiet ? "" : " (" + late + ")")}");
    }

    private static void Step(BlockingCollection<string> events, string label, Action change, string expected)
    {
        change();
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + ExpectedWithin;
        while (!seen.Contains(expected) && events.TryTake(out string? e, Max(deadline - DateTime.UtcNow))) seen.Add(e);
        while (events.TryTake(out string? e, Settle)) seen.Add(e);
        string result = seen.Count == 0 ? "(nothing)" : string.Join(", ", seen.Distinct());
        Report.Line("watcher", $"{label}: {result}");
    }

    private static TimeSpan Max(TimeSpan t) => t > TimeSpan.Zero ? t : TimeSpan.Zero;
}
