using System.Text;

namespace Unikernel.Formats
{
    /// <summary>
    /// Environment entries on the host: read from a docker-style env file (what <c>docker run --env-file</c> reads, so the
    /// files users have work unchanged) and written as the environment block the kernel reads (runtime/Kernel/Boot/
    /// EnvironmentBlock.cs: NAME=VALUE entries each ended by NUL, the layout of /proc/PID/environ). uk-ld writes the
    /// image's defaults with it, <c>uk run --env-file</c> its fw_cfg file.
    ///
    /// The env file: UTF-8 text (a leading byte-order mark is skipped), one entry a line (LF or CRLF); leading whitespace
    /// is ignored; empty lines and lines starting with '#' are skipped; <c>NAME=VALUE</c> sets NAME to everything after
    /// the first '=' as written (no quotes are removed, as docker does); a bare <c>NAME</c> takes NAME's value from the
    /// reading process's environment when it has one (uk run) and is skipped otherwise -- uk-ld refuses it, so that an
    /// image never depends on the environment of the build. Names are what Linux allows: not empty, no '=', no NUL; like
    /// docker, a name holding whitespace is refused.
    /// </summary>
    internal static class EnvironmentFile
    {
        /// <summary>The largest block the kernel takes (EnvironmentBlock.MaxBytes) and the most entries.</summary>
        public const int MaxBlockBytes = 64 * 1024, MaxEntries = 1024;

        /// <param name="hostEnvironment">Looks up a bare NAME's value; null: a bare NAME is an error.</param>
        /// <exception cref="FormatException">One line: FILE:LINE and what is wrong.</exception>
        public static List<KeyValuePair<string, string>> Parse(string text, string fileName, Func<string, string?>? hostEnvironment)
        {
            var entries = new List<KeyValuePair<string, string>>();
            if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
            string[] lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
                line = line.TrimStart();
                if (line.Length == 0 || line[0] == '#') continue;
                string where = $"{fileName}:{i + 1}";
                int equals = line.IndexOf('=');
                string name = equals < 0 ? line : line[..equals];
                if (name.Length == 0) throw new FormatException($"{where}: no variable name before '='");
                if (name.Any(char.IsWhiteSpace)) throw new FormatException($"{where}: variable '{Show(name)}' contains whitespace");
                if (line.Contains('\0')) throw new FormatException($"{where}: a NUL byte, which Linux does not allow in an environment entry");
                if (equals >= 0)
                {
                    entries.Add(new(name, line[(equals + 1)..]));
                    continue;
                }
                if (hostEnvironment is null)
                    throw new FormatException($"{where}: '{Show(name)}' has no '=VALUE' (a value from the build's own environment would make the image depend on it)");
                if (hostEnvironment(name) is { } value) entries.Add(new(name, value));
            }
            return entries;
        }

        /// <summary>What is wrong with <paramref name="name"/> as a Linux environment name, or null.</summary>
        public static string? NameProblem(string name) =>
            name.Length == 0 ? "an empty name" : name.Contains('=') ? "a name holding '='" : name.Contains('\0') ? "a name holding a NUL byte" : null;

        /// <summary>The kernel's environment block for <paramref name="entries"/>.</summary>
        /// <exception cref="FormatException">An entry Linux would refuse, or more than the kernel takes.</exception>
        public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> entries)
        {
            var bytes = new List<byte>();
            int count = 0;
            foreach (var (name, value) in entries)
            {
                if (NameProblem(name) is { } problem) throw new FormatException($"environment entry '{Show(name)}': {problem}");
                if (value.Contains('\0')) throw new FormatException($"environment entry '{Show(name)}': its value holds a NUL byte, which Linux does not allow");
                bytes.AddRange(Encoding.UTF8.GetBytes(name + "=" + value));
                bytes.Add(0);
                count++;
            }
            if (count > MaxEntries) throw new FormatException($"{count} environment entries: the kernel takes at most {MaxEntries}");
            if (bytes.Count > MaxBlockBytes) throw new FormatException($"the environment entries take {bytes.Count:N0} bytes: the kernel takes at most {MaxBlockBytes:N0}");
            return bytes.ToArray();
        }

        private static string Show(string word)
        {
            var sb = new StringBuilder();
            foreach (char c in word.Length > 60 ? word[..60] + "..." : word)
                sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
            return sb.ToString();
        }
    }
}
