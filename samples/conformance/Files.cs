// File I/O under Path.GetTempPath(): create a directory, write, append, read back, seek, enumerate, rename,
// copy, delete, and the exceptions for missing files and directories.
using System.Text;

namespace Conformance;

public static class Files
{
    public static void Run()
    {
        string temp = Path.GetTempPath();
        Report.Line("files", $"temp path is rooted and ends with '/': {Path.IsPathRooted(temp) && temp.EndsWith('/')}");
        Report.EnvSpecific("temp path", temp);

        // The process id keeps concurrent runs apart; it is never printed.
        string dir = Path.Combine(temp, $"conformance-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        Report.Line("files", $"created directory exists: {Directory.Exists(dir)}, empty: {!Directory.EnumerateFileSystemEntries(dir).Any()}");
        try
        {
            Exercise(dir);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        Report.Line("files", $"directory deleted recursively: {!Directory.Exists(dir)}");
    }

    private static void Exercise(string dir)
    {
        string a = Path.Combine(dir, "a.txt");
        File.WriteAllText(a, "line 1\n");
        File.AppendAllText(a, "line 2 ünïcödé ✓\n");
        using (var writer = File.AppendText(a)) writer.Write("line 3\n");
        string text = File.ReadAllText(a);
        Report.Line("files", $"write+append read back: {text.Replace("\n", "\\n")}");
        Report.Line("files", $"ReadAllLines count {File.ReadAllLines(a).Length}, size in bytes {new FileInfo(a).Length}");
        Report.Line("files", $"last write year >= 2024: {File.GetLastWriteTimeUtc(a).Year >= 2024}");

        string b = Path.Combine(dir, "b.bin");
        using (var stream = new FileStream(b, FileMode.Create, FileAccess.Write))
            for (int block = 0; block < 16; block++)
            {
                var data = new byte[256];
                for (int i = 0; i < data.Length; i++) data[i] = (byte)(i ^ block);
                stream.Write(data);
            }
        using (var stream = new FileStream(b, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Seek(1000, SeekOrigin.Begin);
            var four = new byte[4];
            stream.ReadExactly(four);
            stream.Seek(-1, SeekOrigin.End);
            stream.WriteByte(0x5A);
            stream.SetLength(4097);
            Report.Line("files", $"FileStream: length {stream.Length}, bytes at 1000: {Convert.ToHexString(four)}, position {stream.Position}");
        }
        byte[] all = File.ReadAllBytes(b);
        Report.Line("files", $"ReadAllBytes: {all.Length} bytes, last two {all[^2]:X2} {all[^1]:X2}, checksum {all.Sum(x => (int)x)}");

        using (var reader = new StreamReader(a, Encoding.UTF8))
        {
            int lines = 0;
            while (reader.ReadLine() is { } line) lines += line.StartsWith("line", StringComparison.Ordinal) ? 1 : 0;
            Report.Line("files", $"StreamReader lines starting with 'line': {lines}");
        }

        Directory.CreateDirectory(Path.Combine(dir, "sub", "deeper"));
        File.WriteAllText(Path.Combine(dir, "sub", "c.txt"), "c");
        File.WriteAllText(Path.Combine(dir, "sub", "deeper", "d.txt"), "dd");
        Report.Line("files", $"top-level files: {string.Join(", ", Names(Directory.EnumerateFiles(dir), dir))}");
        Report.Line("files", $"all entries recursively: {string.Join(", ", Names(Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories), dir))}");
        Report.Line("files", $"*.txt recursively: {string.Join(", ", Names(Directory.EnumerateFiles(dir, "*.txt", SearchOption.AllDirectories), dir))}");

        string renamed = Path.Combine(dir, "renamed.txt");
        File.Move(a, renamed);
        Report.Line("files", $"after rename: old exists {File.Exists(a)}, new exists {File.Exists(renamed)}, content kept {File.ReadAllText(renamed) == text}");
        File.Copy(renamed, a);
        Report.Line("files", $"copy back: {File.Exists(a)}, same length {new FileInfo(a).Length == new FileInfo(renamed).Length}");
        try
        {
            File.Copy(renamed, a);
            Report.Line("files", "copy onto an existing file: no exception");
        }
        catch (IOException e)
        {
            Report.Line("files", $"copy onto an existing file: {e.GetType().Name}");
        }
        Directory.Move(Path.Combine(dir, "sub"), Path.Combine(dir, "moved"));
        Report.Line("files", $"directory moved: {Directory.Exists(Path.Combine(dir, "moved", "deeper"))} {!Directory.Exists(Path.Combine(dir, "sub"))}");

        File.Delete(a);
        File.Delete(Path.Combine(dir, "does-not-exist.txt"));   // no exception, like on every platform
        Report.Line("files", $"deleted: {!File.Exists(a)}; remaining: {string.Join(", ", Names(Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories), dir))}");

        try { File.ReadAllText(Path.Combine(dir, "missing.txt")); }
        catch (FileNotFoundException e) { Report.Line("files", $"missing file: {e.GetType().Name}"); }
        try { File.ReadAllText(Path.Combine(dir, "no-such-dir", "x.txt")); }
        catch (DirectoryNotFoundException e) { Report.Line("files", $"missing directory: {e.GetType().Name}"); }
        try { Directory.Delete(Path.Combine(dir, "moved")); }
        catch (IOException e) { Report.Line("files", $"deleting a non-empty directory non-recursively: {e.GetType().Name}"); }

        Report.Line("files", $"Path: {Path.GetFileName(renamed)} {Path.GetExtension(renamed)} {Path.GetFileNameWithoutExtension(renamed)} {Path.Combine("x", "y", "z.txt")} {Path.GetFullPath("/a/b/../c/./d")}");
    }

    private static IEnumerable<string> Names(IEnumerable<string> paths, string root) =>
        paths.Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal);
}
