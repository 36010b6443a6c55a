namespace Kernel.Boot
{
    internal enum EnvironmentBlockError
    {
        None,
        TooLarge,
        TooManyEntries,
        /// <summary>The last entry has no terminating NUL: a cut-off block.</summary>
        Unterminated,
        /// <summary>Two NULs in a row: an empty entry.</summary>
        EmptyEntry,
        /// <summary>An entry without '=', or with nothing before it: no name.</summary>
        NoName,
    }

    // The environment block a configuration source hands the kernel: the layout of Linux's /proc/PID/environ (and of
    // `env -0`'s output), NAME=VALUE entries each ended by a NUL byte. It carries every entry Linux allows (any bytes
    // but NUL; a name is what comes before the first '=', never empty), values with newlines included, with no
    // quoting to get wrong. It is checked whole before anything of it is used: a source is applied entirely or not
    // at all (BootEnvironment). Pure byte-level code: it also runs in the host unit tests.
    internal static unsafe class EnvironmentBlock
    {
        /// <summary>The largest block the kernel takes (the app's whole initial stack strings get the same: ProcessStack).</summary>
        public const int MaxBytes = 64 * 1024;
        public const int MaxEntries = 1024;

        /// <summary>
        /// Checks <paramref name="length"/> bytes at <paramref name="data"/>; on success returns the entry count, else -1
        /// with the error and the byte offset of the entry at fault in <paramref name="errorOffset"/>.
        /// </summary>
        public static int Validate(byte* data, int length, out EnvironmentBlockError error, out int errorOffset)
        {
            error = EnvironmentBlockError.None;
            errorOffset = 0;
            if (length > MaxBytes) { error = EnvironmentBlockError.TooLarge; return -1; }
            int count = 0, start = 0;
            while (start < length)
            {
                int end = start;
                while (end < length && data[end] != 0) end++;
                errorOffset = start;
                if (end == length) { error = EnvironmentBlockError.Unterminated; return -1; }
                if (end == start) { error = EnvironmentBlockError.EmptyEntry; return -1; }
                if (NameLength(data + start, end - start) <= 0) { error = EnvironmentBlockError.NoName; return -1; }
                if (++count > MaxEntries) { error = EnvironmentBlockError.TooManyEntries; return -1; }
                start = end + 1;
            }
            errorOffset = 0;
            return count;
        }

        /// <summary>Length of the name (the bytes before the first '='), or -1 when the entry has no '='.</summary>
        public static int NameLength(byte* entry, int length)
        {
            for (int i = 0; i < length; i++)
                if (entry[i] == '=') return i;
            return -1;
        }

        public static string Describe(EnvironmentBlockError error)
        {
            if (error == EnvironmentBlockError.TooLarge) return "larger than 64 KiB";
            if (error == EnvironmentBlockError.TooManyEntries) return "more than 1024 entries";
            if (error == EnvironmentBlockError.Unterminated) return "the last entry has no terminating NUL (cut off?)";
            if (error == EnvironmentBlockError.EmptyEntry) return "an empty entry (two NULs in a row)";
            if (error == EnvironmentBlockError.NoName) return "an entry that is not NAME=VALUE (no '=', or nothing before it)";
            return "ok";
        }

        /// <summary>
        /// Whether a name looks like it holds a secret (a password, a key, a token, a connection string): the boot report
        /// never prints such a value. Case-insensitive substrings; erring towards secret costs only a hidden value.
        /// </summary>
        public static bool LooksSecret(byte* name, int length)
        {
            return Contains(name, length, "PASS") || Contains(name, length, "PWD") && !IsExactly(name, length, "PWD")
                || Contains(name, length, "SECRET") || Contains(name, length, "TOKEN") || Contains(name, length, "KEY")
                || Contains(name, length, "CREDENTIAL") || Contains(name, length, "CONNECTIONSTRING") || Contains(name, length, "PRIVATE")
                || Contains(name, length, "AUTH") || Contains(name, length, "COOKIE") || Contains(name, length, "SIGNATURE")
                || Contains(name, length, "CERT");
        }

        private static bool Contains(byte* text, int length, string upper)
        {
            for (int i = 0; i + upper.Length <= length; i++)
            {
                int k = 0;
                while (k < upper.Length && ToUpper(text[i + k]) == upper[k]) k++;
                if (k == upper.Length) return true;
            }
            return false;
        }

        private static bool IsExactly(byte* text, int length, string upper) => length == upper.Length && Contains(text, length, upper);

        private static byte ToUpper(byte c) => c >= 'a' && c <= 'z' ? (byte)(c - 32) : c;
    }
}
