// The "process-info" mode: what .NET learns about its own process (System.Diagnostics.Process, Environment)
// and the files it learns it from (/proc/self/..., /etc/passwd), plus Process.Start of a program that does
// not exist. Values that legitimately differ between machines (sizes, ids, user name) are printed as
// properties ("> 0: True"), or as "env-specific" lines.
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

// The app runs on Linux only (there and in the image); ProcessThread.StartTime is Linux's and Windows'.
#pragma warning disable CA1416

namespace Conformance;

public static partial class ProcessInfo
{
    public static int Run(string[] args)
    {
        Report.Section("process", CurrentProcess);
        Report.Section("threads", Threads);
        Report.Section("memory", MemoryFigures);
        Report.Section("user", User);
        Report.Section("cmdline", () => CommandLine(args));
        Report.Section("environ", Environ);
        Report.Section("limits", Limits);
        Report.Section("fd", Descriptors);
        Report.Section("start", StartMissingPrograms);
        Report.Section("start", StartExistingProgram);
        Report.Line("process-info", Report.Failures == 0 ? "ok" : "failed sections: " + Report.Failures);
        return Report.Failures == 0 ? 0 : 1;
    }

    private static void CurrentProcess()
    {
        using var self = Process.GetCurrentProcess();
        string executableName = Path.GetFileName(Environment.ProcessPath ?? "");
        Report.Line("process", $"name is the executable's name: {self.ProcessName == executableName}");
        Report.Line("process", $"id > 0: {self.Id > 0}, equals Environment.ProcessId: {self.Id == Environment.ProcessId}, equals getpid: {self.Id == getpid()}");
        Report.Line("process", $"main thread id equals the process id: {gettid() == Environment.ProcessId}");
        DateTime started = self.StartTime;
        TimeSpan age = DateTime.Now - started;
        Report.Line("process", $"started within the last minute: {age > TimeSpan.FromSeconds(-1) && age < TimeSpan.FromMinutes(1)}, kind {started.Kind}");
        // Each property reads /proc/self/stat anew, so they are not compared with each other.
        Report.Line("process", $"processor time > 0: {self.TotalProcessorTime > TimeSpan.Zero}, user >= 0: {self.UserProcessorTime >= TimeSpan.Zero}, privileged >= 0: {self.PrivilegedProcessorTime >= TimeSpan.Zero}");
        Report.Line("process", $"responding: {self.Responding}, has exited: {self.HasExited}, base priority: {self.BasePriority}");
        Report.Line("process", $"by id is the same process: {Process.GetProcessById(Environment.ProcessId).ProcessName == self.ProcessName}");
        Report.Line("process", $"listed by name: {Process.GetProcessesByName(self.ProcessName).Any(p => p.Id == self.Id)}");
        Report.EnvSpecific("process name", self.ProcessName);
        Report.EnvSpecific("process id", self.Id);
    }

    private static void Threads()
    {
        // Process.Threads and /proc/self/task are two snapshots; threads the runtime starts in between make
        // a retry worthwhile, not a failure.
        bool same = false;
        int[] ids = [];
        for (int attempt = 0; attempt < 3 && !same; attempt++)
        {
            using var self = Process.GetCurrentProcess();
            ids = self.Threads.Cast<ProcessThread>().Select(t => t.Id).Order().ToArray();
            int[] listed = Directory.GetDirectories("/proc/self/task").Select(d => int.Parse(Path.GetFileName(d))).Order().ToArray();
            same = ids.SequenceEqual(listed);
        }
        Report.Line("threads", $"count >= 1: {ids.Length >= 1}, ids > 0: {ids.All(id => id > 0)}, include the main thread: {ids.Contains(Environment.ProcessId)}");
        Report.Line("threads", $"Process.Threads equals /proc/self/task: {same}");

        int workerId = 0;
        using var ready = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        var worker = new Thread(() => { workerId = gettid(); ready.Set(); finish.Wait(); }) { Name = "worker" };
        worker.Start();
        ready.Wait();
        using (var self = Process.GetCurrentProcess())
        {
            ProcessThread? thread = self.Threads.Cast<ProcessThread>().FirstOrDefault(t => t.Id == workerId);
            Report.Line("threads", $"a new thread is listed: {thread != null}, as a task directory: {Directory.Exists($"/proc/self/task/{workerId}")}");
            if (thread != null)
            {
                TimeSpan age = DateTime.Now - thread.StartTime;
                // Running or waiting, depending on whether its wait still spins.
                Report.Line("threads", $"its state is running or waiting: {thread.ThreadState is System.Diagnostics.ThreadState.Running or System.Diagnostics.ThreadState.Wait}, started within the last minute: {age > TimeSpan.FromSeconds(-1) && age < TimeSpan.FromMinutes(1)}, cpu time >= 0: {thread.TotalProcessorTime >= TimeSpan.Zero}");
            }
            string status = File.ReadAllText($"/proc/self/task/{workerId}/status");
            Report.Line("threads", $"its status names it: {Field(status, "Name") == "worker"}, pid: {Field(status, "Pid") == workerId.ToString()}, tgid: {Field(status, "Tgid") == Environment.ProcessId.ToString()}");
            string[] stat = StatFields($"/proc/self/task/{workerId}/stat");
            Report.Line("threads", $"its stat: pid {stat[0] == workerId.ToString()}, comm {stat[1]}, state R or S: {stat[2] is "R" or "S"}, {stat.Length} fields, exit signal {stat[37]}");
        }
        finish.Set();
        worker.Join();
        // Join returns when the managed thread is done; its OS thread ends a moment later.
        var sw = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/self/task/{workerId}") && sw.ElapsedMilliseconds < 2000) Thread.Sleep(10);
        Report.Line("threads", $"an ended thread is gone (within 2 s): {!Directory.Exists($"/proc/self/task/{workerId}")}");
    }

    private static void MemoryFigures()
    {
        using var self = Process.GetCurrentProcess();
        Report.Line("memory", $"working set > 0: {self.WorkingSet64 > 0}, peak >= working set: {self.PeakWorkingSet64 >= self.WorkingSet64}");
        Report.Line("memory", $"private > 0: {self.PrivateMemorySize64 > 0}, virtual >= working set: {self.VirtualMemorySize64 >= self.WorkingSet64}, peak virtual >= virtual: {self.PeakVirtualMemorySize64 >= self.VirtualMemorySize64}");
        Report.Line("memory", $"paged >= 0: {self.PagedMemorySize64 >= 0}, Environment.WorkingSet > 0: {Environment.WorkingSet > 0}");

        string status = File.ReadAllText("/proc/self/status");
        string[] labels = status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(':')]).ToArray();
        string[] wanted = ["Name", "State", "Tgid", "Pid", "PPid", "Uid", "Gid", "FDSize", "VmPeak", "VmSize", "VmHWM", "VmRSS", "VmData", "VmStk", "VmExe", "Threads", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "Cpus_allowed_list", "voluntary_ctxt_switches"];
        Report.Line("memory", $"status has {string.Join(" ", wanted.Where(w => labels.Contains(w)))}");
        Report.Line("memory", $"status fields in Linux's order: {IsSubsequence(wanted, labels)}");
        string[] statusLines = status.TrimEnd('\n').Split('\n');
        bool kilobyteFormat = statusLines.Where(l => l.EndsWith(" kB")).All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\w+:\t[ \d]{8,} kB$"));
        bool maskFormat = statusLines.Where(l => l.StartsWith("Sig") && !l.StartsWith("SigQ") || l.StartsWith("Cap")).All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\w+:\t[0-9a-f]{16}$"));
        Report.Line("memory", $"status lines are \"label:<tab>value\": {statusLines.All(l => l.Contains(":\t"))}, kB as %8lu: {kilobyteFormat}, masks as 16 hex digits: {maskFormat}");
        long rss = Kilobytes(Field(status, "VmRSS")), size = Kilobytes(Field(status, "VmSize")), hwm = Kilobytes(Field(status, "VmHWM"));
        Report.Line("memory", $"VmRSS > 0: {rss > 0}, VmHWM >= VmRSS: {hwm >= rss}, VmSize >= VmRSS: {size >= rss}, VmData > 0: {Kilobytes(Field(status, "VmData")) > 0}, VmStk > 0: {Kilobytes(Field(status, "VmStk")) > 0}");
        Report.Line("memory", $"state: {Field(status, "State")}, threads > 0: {int.Parse(Field(status, "Threads")) > 0}, uid fields: {Field(status, "Uid").Split('\t').Length}");

        string[] stat = StatFields("/proc/self/stat");
        Report.Line("memory", $"stat: {stat.Length} fields, pid {stat[0] == Environment.ProcessId.ToString()}, comm is the name: {stat[1] == "(" + self.ProcessName + ")"}, state {stat[2]}, exit signal {stat[37]}");
        Report.EnvSpecific("cpu ticks (utime stime)", stat[13] + " " + stat[14]);
        long statRssPages = long.Parse(stat[23]), statVsize = long.Parse(stat[22]);
        Report.Line("memory", $"stat rss pages > 0: {statRssPages > 0}, vsize >= rss: {statVsize >= statRssPages * 4096}, threads: {stat[19] == Field(status, "Threads")}, starttime > 0: {long.Parse(stat[21]) > 0}");
        string[] statm = File.ReadAllText("/proc/self/statm").Trim().Split(' ');
        Report.Line("memory", $"statm: {statm.Length} fields, size >= resident > 0: {long.Parse(statm[0]) >= long.Parse(statm[1]) && long.Parse(statm[1]) > 0}");
    }

    private static void User()
    {
        string name = Environment.UserName;
        string[] passwd = File.ReadAllLines("/etc/passwd");
        string? entry = passwd.FirstOrDefault(l => l.Split(':')[0] == name);
        Report.Line("user", $"name not empty: {name.Length > 0}, in /etc/passwd: {entry != null}, entry has 7 fields: {entry?.Split(':').Length == 7}");
        string[] fields = entry?.Split(':') ?? new string[7];
        Report.Line("user", $"passwd uid is getuid: {fields[2] == getuid().ToString()}, gid is getgid: {fields[3] == getgid().ToString()}");
        string? group = File.ReadAllLines("/etc/group").FirstOrDefault(l => l.Split(':')[2] == getgid().ToString());
        Report.Line("user", $"primary group in /etc/group: {group != null}, 4 fields: {group?.Split(':').Length == 4}");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Report.Line("user", $"home is absolute: {home.StartsWith('/')}, user domain name not empty: {Environment.UserDomainName.Length > 0}");
        Report.EnvSpecific("user name", name);
        Report.EnvSpecific("home", home);
    }

    private static void CommandLine(string[] args)
    {
        byte[] raw = File.ReadAllBytes("/proc/self/cmdline");
        string[] parts = Encoding.UTF8.GetString(raw).Split('\0');
        Report.Line("cmdline", $"ends with NUL: {raw.Length > 0 && raw[^1] == 0}, arguments after argv[0]: {string.Join(" | ", parts[1..^1])}");
        Report.Line("cmdline", $"equals Main's args: {parts[1..^1].SequenceEqual(args)}, argv[0] names the executable: {Path.GetFileName(parts[0]) == Path.GetFileName(Environment.ProcessPath)}");
        string[] commandLineArgs = Environment.GetCommandLineArgs();
        Report.Line("cmdline", $"Environment.GetCommandLineArgs() after [0]: {string.Join(" | ", commandLineArgs[1..])}");
    }

    private static void Environ()
    {
        byte[] raw = File.ReadAllBytes("/proc/self/environ");
        string[] entries = Encoding.UTF8.GetString(raw).Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        string[] expected = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => e.Key + "=" + e.Value).Order(StringComparer.Ordinal).ToArray();
        Report.Line("environ", $"ends with NUL: {raw.Length == 0 || raw[^1] == 0}, equals the environment at start: {entries.SequenceEqual(expected)}, has CONFORMANCE_MODE: {entries.Contains("CONFORMANCE_MODE=process-info")}");
    }

    private static void Limits()
    {
        string[] lines = File.ReadAllLines("/proc/self/limits");
        Report.Line("limits", $"header: {lines[0]}");
        string[] names = ["Max cpu time", "Max file size", "Max data size", "Max stack size", "Max core file size", "Max resident set", "Max processes", "Max open files", "Max locked memory", "Max address space", "Max file locks", "Max pending signals", "Max msgqueue size", "Max nice priority", "Max realtime priority", "Max realtime timeout"];
        Report.Line("limits", $"16 resources in order: {lines.Skip(1).Select(l => l[..26].TrimEnd()).SequenceEqual(names)}");
        bool allMatch = true;
        for (int resource = 0; resource < names.Length; resource++)
        {
            string line = lines[1 + resource];
            string soft = line.Substring(26, 21).TrimEnd(), hard = line.Substring(47, 21).TrimEnd();
            Rlimit limit;
            if (getrlimit(resource, out limit) != 0) { allMatch = false; continue; }
            bool match = soft == Show(limit.Current) && hard == Show(limit.Maximum);
            if (!match) Report.Line("limits", $"{names[resource]}: file says {soft}/{hard}, getrlimit {Show(limit.Current)}/{Show(limit.Maximum)}");
            allMatch &= match;
        }
        Report.Line("limits", $"every soft and hard limit equals getrlimit: {allMatch}");
        Report.Line("limits", $"units: {string.Join(",", lines.Skip(1).Select(l => l.Length > 68 ? l[68..].Trim() : ""))}");
    }

    private static void Descriptors()
    {
        var entries = new DirectoryInfo("/proc/self/fd").GetFileSystemInfos();
        int[] numbers = entries.Select(e => int.Parse(e.Name)).Order().ToArray();
        // The descriptor of the listing itself is among the entries and closed by the time they are read.
        Report.Line("fd", $"0, 1 and 2 are listed: {numbers.Take(3).SequenceEqual([0, 1, 2])}, as links: {entries.Where(e => e.Name is "0" or "1" or "2").All(e => e.LinkTarget != null)}");
        using (var file = File.OpenRead("/etc/passwd"))
        {
            string[] links = new DirectoryInfo("/proc/self/fd").GetFileSystemInfos().Select(e => e.LinkTarget ?? "").ToArray();
            Report.Line("fd", $"an open file shows its path: {links.Contains("/etc/passwd")}");
        }
        using (var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            string[] links = new DirectoryInfo("/proc/self/fd").GetFileSystemInfos().Select(e => e.LinkTarget ?? "").ToArray();
            Report.Line("fd", $"a socket shows as socket:[inode]: {links.Any(l => l.StartsWith("socket:[") && l.EndsWith(']'))}");
        }
        string[] others = new DirectoryInfo("/proc/self/fd").GetFileSystemInfos().Select(e => e.LinkTarget ?? "").Where(l => l.StartsWith("anon_inode:")).Distinct().Order().ToArray();
        Report.EnvSpecific("anonymous descriptors", string.Join(" ", others));
    }

    private static void StartMissingPrograms()
    {
        string cwd = Directory.GetCurrentDirectory();
        // A name .NET finds nowhere, a path that does not exist (both fail before any fork), and a file that
        // exists but is no program (fork, then execve fails in the child).
        foreach (string program in new[] { "no-such-program", "/no/such/program", "/etc/passwd" })
        {
            try
            {
                using var started = Process.Start(program);
                Report.Line("start", $"{program}: started?!");
            }
            catch (Win32Exception e)
            {
                Report.Line("start", $"{program}: {e.GetType().FullName}, error {e.NativeErrorCode}: {e.Message.Replace($"working directory '{cwd}'", "working directory <cwd>")}");
            }
        }
    }

    // A program that exists: Linux runs it (the app itself, whose usage line goes to the redirected
    // standard error, exit 2); the image has no second process to run it in (fork fails with ENOSYS).
    private static void StartExistingProgram()
    {
        try
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!, "--no-such-mode") { RedirectStandardError = true, RedirectStandardOutput = true };
            using var child = Process.Start(start)!;
            child.StandardError.ReadToEnd();
            child.WaitForExit();
            Report.EnvSpecific("start the app itself", $"exit status {child.ExitCode}");
        }
        catch (Win32Exception e)
        {
            Report.EnvSpecific("start the app itself", $"{e.GetType().FullName}, error {e.NativeErrorCode}: {e.Message}");
        }
    }

    private static string Show(ulong value) => value == ulong.MaxValue ? "unlimited" : value.ToString();

    private static string Field(string status, string label)
    {
        foreach (string line in status.Split('\n'))
            if (line.StartsWith(label + ":", StringComparison.Ordinal)) return line[(label.Length + 1)..].Trim();
        return "";
    }

    private static long Kilobytes(string value) => value.EndsWith(" kB") ? long.Parse(value[..^3].Trim()) : -1;

    // The comm field is in parentheses and may hold spaces; everything after the last ')' is space-separated.
    private static string[] StatFields(string path)
    {
        string text = File.ReadAllText(path).TrimEnd('\n');
        int open = text.IndexOf('('), close = text.LastIndexOf(')');
        return [text[..(open - 1)], text[open..(close + 1)], .. text[(close + 2)..].Split(' ')];
    }

    private static bool IsSubsequence(string[] wanted, string[] all)
    {
        int at = 0;
        foreach (string label in all)
            if (at < wanted.Length && label == wanted[at]) at++;
        return at == wanted.Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit { public ulong Current; public ulong Maximum; }

    [LibraryImport("libc")] private static partial int getpid();
    [LibraryImport("libc")] private static partial int gettid();
    [LibraryImport("libc")] private static partial uint getuid();
    [LibraryImport("libc")] private static partial uint getgid();
    [LibraryImport("libc")] private static partial int getrlimit(int resource, out Rlimit limit);
}
