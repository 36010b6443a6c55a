namespace Kernel.Boot
{
    internal enum UserDataError
    {
        None,
        /// <summary>More than EnvironmentBlock.MaxBytes of text, or of entries once converted.</summary>
        TooLarge,
        TooManyEntries,
        /// <summary>A line starting with '=': no variable name.</summary>
        NoName,
        /// <summary>A name holding whitespace (docker refuses it; so does `uk run --env-file`).</summary>
        NameHasWhitespace,
        /// <summary>A bare NAME: in a file on the host it takes the host's value, here there is none to take.</summary>
        NoValue,
        /// <summary>A NUL byte, which Linux does not allow in an environment entry.</summary>
        NulByte,
    }

    // The user data a cloud source hands the kernel (instance metadata, a config drive), in our format: the text of an
    // env file, the same rules as `uk run --env-file` (formats/Host/EnvironmentFile.cs, docker's --env-file): one entry a
    // line (LF or CRLF; a leading UTF-8 byte-order mark is skipped), leading whitespace ignored, empty lines and lines
    // starting with '#' skipped, NAME=VALUE sets NAME to everything after the first '=' as written (no quotes are
    // removed). Unlike on the host a bare NAME is an error: the machine has no environment of its own to take it from.
    // Other bytes are passed as they are (Linux allows any but NUL).
    //
    // Cloud-init's formats are recognised by their first bytes (#cloud-config, a #! script, MIME multipart, gzip...)
    // and left alone rather than misread: the same user data may well be meant for a Linux VM.
    //
    // The text is checked whole and converted into an environment block (EnvironmentBlock's layout), so a source is
    // applied entirely or not at all. Pure byte-level code: it also runs in the host unit tests, which compare it with
    // EnvironmentFile on the host.
    internal static unsafe class UserData
    {
        /// <summary>The largest user data taken, the environment block's own bound.</summary>
        public const int MaxBytes = EnvironmentBlock.MaxBytes;

        /// <summary>
        /// Which cloud-init format the text is in (its marker, e.g. "#cloud-config"), or null when it is ours. Such user
        /// data is not an error: the report says it was skipped.
        /// </summary>
        public static string CloudInitFormat(byte* text, int length)
        {
            if (length >= 2 && text[0] == 0x1F && text[1] == 0x8B) return "gzip";
            int start = length >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF ? 3 : 0;
            byte* t = text + start;
            int n = length - start;
            if (StartsWith(t, n, "#cloud-config-archive")) return "#cloud-config-archive";
            if (StartsWith(t, n, "#cloud-config")) return "#cloud-config";
            if (StartsWith(t, n, "#cloud-boothook")) return "#cloud-boothook";
            if (StartsWith(t, n, "#include")) return "#include";
            if (StartsWith(t, n, "#part-handler")) return "#part-handler";
            if (StartsWith(t, n, "#upstart-job")) return "#upstart-job";
            if (StartsWith(t, n, "## template: jinja")) return "## template: jinja";
            if (StartsWith(t, n, "#!")) return "a #! script";
            if (StartsWithIgnoringCase(t, n, "Content-Type:") || StartsWithIgnoringCase(t, n, "MIME-Version:")) return "MIME multipart";
            return null;
        }

        /// <summary>
        /// Converts the env-file text at <paramref name="text"/> into an environment block at <paramref name="block"/>
        /// (room for <paramref name="length"/> + 1 bytes is always enough). Returns the entry count and the block's length
        /// in <paramref name="blockLength"/>; or -1 with the error and the 1-based line at fault.
        /// </summary>
        public static int ToEnvironmentBlock(byte* text, int length, byte* block, out int blockLength, out UserDataError error, out int line)
        {
            blockLength = 0;
            error = UserDataError.None;
            line = 0;
            if (length > MaxBytes) { error = UserDataError.TooLarge; return -1; }
            int position = length >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF ? 3 : 0;
            int count = 0, written = 0;
            while (position < length)
            {
                line++;
                int end = position;
                while (end < length && text[end] != '\n') end++;
                int next = end + 1;
                if (end > position && text[end - 1] == '\r') end--;
                int start = position;
                position = next;
                for (int w; start < end && (w = WhitespaceLength(text + start, end - start)) > 0;) start += w;
                if (start == end || text[start] == '#') continue;

                int equals = start;
                while (equals < end && text[equals] != '=') equals++;
                if (equals == start) { error = UserDataError.NoName; return -1; }
                for (int i = start; i < equals; i++)
                    if (WhitespaceLength(text + i, equals - i) > 0) { error = UserDataError.NameHasWhitespace; return -1; }
                for (int i = start; i < end; i++)
                    if (text[i] == 0) { error = UserDataError.NulByte; return -1; }
                if (equals == end) { error = UserDataError.NoValue; return -1; }
                if (++count > EnvironmentBlock.MaxEntries) { error = UserDataError.TooManyEntries; return -1; }
                if (written + (end - start) + 1 > EnvironmentBlock.MaxBytes) { error = UserDataError.TooLarge; return -1; }
                for (int i = start; i < end; i++) block[written++] = text[i];
                block[written++] = 0;
            }
            line = 0;
            blockLength = written;
            return count;
        }

        public static string Describe(UserDataError error)
        {
            if (error == UserDataError.TooLarge) return "larger than 64 KiB";
            if (error == UserDataError.TooManyEntries) return "more than 1024 entries";
            if (error == UserDataError.NoName) return "no variable name before '='";
            if (error == UserDataError.NameHasWhitespace) return "the variable name contains whitespace";
            if (error == UserDataError.NoValue) return "a NAME without '=VALUE'";
            if (error == UserDataError.NulByte) return "a NUL byte, which Linux does not allow in an environment entry";
            return "ok";
        }

        // The bytes of the whitespace character (what .NET's char.IsWhiteSpace, which the host's parser uses, calls
        // whitespace) starting at p, in UTF-8; 0 when it is not one.
        private static int WhitespaceLength(byte* p, int available)
        {
            byte b = p[0];
            if (b == ' ' || (b >= 0x09 && b <= 0x0D)) return 1;
            if (available >= 2 && b == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0)) return 2;
            if (available < 3) return 0;
            if (b == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;                       // U+1680
            if (b == 0xE2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8A) || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF)) return 3;   // U+2000-200A, 2028, 2029, 202F
            if (b == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;                       // U+205F
            if (b == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;                       // U+3000
            return 0;
        }

        private static bool StartsWith(byte* text, int length, string prefix)
        {
            if (length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (text[i] != prefix[i]) return false;
            return true;
        }

        private static bool StartsWithIgnoringCase(byte* text, int length, string prefix)
        {
            if (length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (Lower(text[i]) != Lower((byte)prefix[i])) return false;
            return true;
        }

        private static byte Lower(byte c) => c >= 'A' && c <= 'Z' ? (byte)(c + 32) : c;
    }
}
