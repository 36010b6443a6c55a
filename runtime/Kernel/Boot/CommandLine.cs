namespace Kernel.Boot
{
    internal enum CommandLineTokenKind
    {
        /// <summary>A word for the app's argv.</summary>
        Argument,
        /// <summary>KEY=VALUE for the app's environment.</summary>
        Environment,
        /// <summary>uk.NAME[=VALUE]: an option for the kernel itself.</summary>
        KernelOption,
    }

    internal struct CommandLineToken
    {
        public int Start;        // offset of the unescaped, NUL-terminated text in the output buffer
        public int Length;       // without the NUL
        public int NameLength;   // for Environment and KernelOption: length of the part before '=' (or Length)
        public CommandLineTokenKind Kind;
    }

    internal enum CommandLineError
    {
        None,
        UnterminatedQuote,
        TooManyTokens,
        OutputTooSmall,
        /// <summary>A backslash-x not followed by two hexadecimal digits.</summary>
        BadEscape,
        /// <summary>\x00: argv and environment strings are NUL-terminated, so a NUL cannot be in one.</summary>
        NulByte,
        /// <summary>uk.env= without NAME=VALUE after it.</summary>
        BadEnvironment,
    }

    // The kernel command line is the image's whole configuration (docs/options.md, "Kernel command line"):
    //
    //   cmdline   := token* [ "--" token* ]
    //   token     := words separated by spaces, tabs, CR and LF; "double quotes" group them,
    //                \xHH is the byte HH (any byte but NUL: how `uk run` writes control bytes and
    //                non-ASCII, so its command line is printable ASCII), a backslash before any other
    //                character takes it literally (also inside quotes)
    //   before --:  uk.env=NAME=VALUE      -> environment entry NAME=VALUE (any name Linux allows)
    //               uk.NAME[=VALUE]        -> kernel option
    //               virtio_mmio.NAME=VALUE -> kernel option (the device list Firecracker and QEMU microvm
    //                                         append, in Linux's syntax: Devices/Virtio/VirtioDiscovery)
    //               KEY=VALUE              -> environment entry (KEY: letter or _, then letters, digits, _)
    //               anything else          -> app argument
    //   after --:   every token            -> app argument (so arguments may contain '=' or start with uk.)
    //
    // Tokens are classified after unescaping. Pure byte-level code: it also runs in the host unit tests.
    internal static unsafe class CommandLineParser
    {
        /// <summary>The most words the kernel keeps (kernel options, environment entries and arguments; "--" is not one).</summary>
        public const int MaxTokens = 256;

        /// <summary>
        /// Splits <paramref name="text"/> into tokens whose unescaped, NUL-terminated bytes go to
        /// <paramref name="output"/> (length + 1 bytes per token always suffice). Returns the token
        /// count, or -1 with <paramref name="error"/> set.
        /// </summary>
        public static int Parse(byte* text, int length, byte* output, int outputCapacity,
                                CommandLineToken* tokens, int maxTokens, out CommandLineError error)
        {
            error = CommandLineError.None;
            int count = 0, written = 0, i = 0;
            bool afterSeparator = false;
            while (true)
            {
                while (i < length && IsSpace(text[i])) i++;
                if (i >= length || text[i] == 0) break;

                int start = written;
                bool inQuotes = false, quoted = false;
                while (i < length && text[i] != 0 && (inQuotes || !IsSpace(text[i])))
                {
                    byte c = text[i++];
                    if (c == '"') { inQuotes = !inQuotes; quoted = true; continue; }
                    if (c == '\\' && i < length && text[i] != 0)
                    {
                        c = text[i++];
                        if (c == 'x')
                        {
                            int high = i < length ? HexValue(text[i]) : -1, low = i + 1 < length ? HexValue(text[i + 1]) : -1;
                            if (high < 0 || low < 0) { error = CommandLineError.BadEscape; return -1; }
                            c = (byte)(high << 4 | low);
                            if (c == 0) { error = CommandLineError.NulByte; return -1; }
                            i += 2;
                        }
                    }
                    if (written >= outputCapacity - 1) { error = CommandLineError.OutputTooSmall; return -1; }
                    output[written++] = c;
                }
                if (inQuotes) { error = CommandLineError.UnterminatedQuote; return -1; }
                output[written++] = 0;

                int tokenLength = written - 1 - start;
                byte* token = output + start;
                if (!afterSeparator && !quoted && tokenLength == 2 && token[0] == '-' && token[1] == '-')
                {
                    afterSeparator = true;
                    written = start;
                    continue;
                }
                if (count >= maxTokens) { error = CommandLineError.TooManyTokens; return -1; }

                CommandLineToken* t = &tokens[count++];
                t->Start = start;
                t->Length = tokenLength;
                t->NameLength = tokenLength;
                t->Kind = CommandLineTokenKind.Argument;
                if (afterSeparator) continue;

                int equals = IndexOf(token, tokenLength, (byte)'=');
                if (tokenLength >= ExplicitEnvironmentPrefix.Length && StartsWith(token, ExplicitEnvironmentPrefix.Length + 1, ExplicitEnvironmentPrefix))
                {
                    int skip = ExplicitEnvironmentPrefix.Length;
                    int nameLength = IndexOf(token + skip, tokenLength - skip, (byte)'=');
                    if (nameLength <= 0) { error = CommandLineError.BadEnvironment; return -1; }
                    t->Start = start + skip;
                    t->Length = tokenLength - skip;
                    t->NameLength = nameLength;
                    t->Kind = CommandLineTokenKind.Environment;
                }
                else if ((tokenLength > 3 && token[0] == 'u' && token[1] == 'k' && token[2] == '.') || StartsWith(token, tokenLength, VirtioMmioPrefix))
                {
                    t->Kind = CommandLineTokenKind.KernelOption;
                    if (equals >= 0) t->NameLength = equals;
                }
                else if (equals > 0 && IsEnvironmentName(token, equals))
                {
                    t->Kind = CommandLineTokenKind.Environment;
                    t->NameLength = equals;
                }
            }
            return count;
        }

        /// <summary>`uk run`'s per-boot console secret (Console/KernelConsole.cs): uk.console.tag= and 16 or more hexadecimal digits.</summary>
        public const string ConsoleTagOption = "uk.console.tag=";
        public const int MinConsoleTagDigits = 16;

        /// <summary>
        /// The offset of the digits of the first uk.console.tag=HEX word outside quotes (the whole word: the option
        /// name, then only hexadecimal digits up to a space or the end), with their count; -1 when there is none.
        /// </summary>
        public static int FindConsoleTag(byte* text, int length, out int digitCount)
        {
            digitCount = 0;
            bool inQuotes = false, wordStart = true;
            for (int i = 0; i < length && text[i] != 0; i++)
            {
                byte c = text[i];
                if (!inQuotes && IsSpace(c)) { wordStart = true; continue; }
                if (wordStart && !inQuotes && i + ConsoleTagOption.Length <= length && StartsWith(text + i, ConsoleTagOption.Length + 1, ConsoleTagOption))
                {
                    int digits = i + ConsoleTagOption.Length, end = digits;
                    while (end < length && HexValue(text[end]) >= 0) end++;
                    if ((end == length || text[end] == 0 || IsSpace(text[end])) && end - digits >= MinConsoleTagDigits)
                    {
                        digitCount = end - digits;
                        return digits;
                    }
                }
                wordStart = false;
                if (c == '"') inQuotes = !inQuotes;
                else if (c == '\\' && i + 1 < length && text[i + 1] != 0) i++;
            }
            return -1;
        }

        /// <summary>Compares the token's name (before '=') with an ASCII literal.</summary>
        public static bool NameEquals(byte* output, CommandLineToken* token, string name)
        {
            if (token->NameLength != name.Length) return false;
            byte* text = output + token->Start;
            for (int i = 0; i < name.Length; i++)
                if (text[i] != name[i]) return false;
            return true;
        }

        /// <summary>The value after '=' (empty when there is none).</summary>
        public static byte* Value(byte* output, CommandLineToken* token, out int valueLength)
        {
            int offset = token->NameLength < token->Length ? token->NameLength + 1 : token->Length;
            valueLength = token->Length - offset;
            return output + token->Start + offset;
        }

        private const string VirtioMmioPrefix = "virtio_mmio.";
        private const string ExplicitEnvironmentPrefix = "uk.env=";

        private static int HexValue(byte c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static bool StartsWith(byte* text, int length, string prefix)
        {
            if (length <= prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (text[i] != prefix[i]) return false;
            return true;
        }

        private static bool IsSpace(byte c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';

        private static int IndexOf(byte* text, int length, byte value)
        {
            for (int i = 0; i < length; i++)
                if (text[i] == value) return i;
            return -1;
        }

        private static bool IsEnvironmentName(byte* text, int length)
        {
            for (int i = 0; i < length; i++)
            {
                byte c = text[i];
                bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
                bool digit = c >= '0' && c <= '9';
                if (!(letter || (digit && i > 0))) return false;
            }
            return true;
        }
    }
}
