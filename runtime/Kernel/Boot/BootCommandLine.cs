using Kernel.Memory;

namespace Kernel.Boot
{
    // The parsed kernel command line, kept for the life of the kernel: the app's argv and environment
    // (once there is an app) and the kernel's own uk.* options.
    internal static unsafe class BootCommandLine
    {
        private const int MaxTokens = 256;

        public static byte* RawText;
        public static int RawLength;
        public static byte* Text;                 // unescaped tokens, each NUL-terminated
        public static CommandLineToken* Tokens;
        public static int Count;

        /// <summary>Null on success, else what is wrong with the command line.</summary>
        public static string Parse(byte* raw, int length)
        {
            RawText = raw;
            RawLength = length;
            Text = (byte*)KernelMemory.AllocateZeroed((nuint)RawLength + 1 + MaxTokens);
            Tokens = (CommandLineToken*)KernelMemory.AllocateZeroed((nuint)(sizeof(CommandLineToken) * MaxTokens));
            CommandLineError error;
            Count = CommandLineParser.Parse(raw, RawLength, Text, RawLength + 1 + MaxTokens, Tokens, MaxTokens, out error);
            if (Count >= 0) return null;
            Count = 0;
            if (error == CommandLineError.UnterminatedQuote) return "kernel command line: unterminated double quote";
            if (error == CommandLineError.TooManyTokens) return "kernel command line: more than 256 words";
            return "kernel command line: too long";
        }

        /// <summary>The value of kernel option uk.NAME, or null when absent. Length in <paramref name="length"/>.</summary>
        public static byte* Option(string name, out int length)
        {
            length = 0;
            for (int i = 0; i < Count; i++)
            {
                CommandLineToken* t = &Tokens[i];
                if (t->Kind == CommandLineTokenKind.KernelOption && CommandLineParser.NameEquals(Text, t, name))
                    return CommandLineParser.Value(Text, t, out length);
            }
            return null;
        }

        /// <summary>The option's leading decimal digits as a number (0 when it has none), or <paramref name="otherwise"/> when it is absent.</summary>
        public static int NumberOption(string name, int otherwise = 0)
        {
            int length;
            byte* value = Option(name, out length);
            if (value == null) return otherwise;
            int n = 0;
            for (int i = 0; i < length && value[i] >= '0' && value[i] <= '9'; i++) n = n * 10 + (value[i] - '0');
            return n;
        }

        public static bool OptionEquals(string name, string value)
        {
            int length;
            byte* v = Option(name, out length);
            if (v == null || length != value.Length) return false;
            for (int i = 0; i < length; i++) if (v[i] != value[i]) return false;
            return true;
        }
    }
}
