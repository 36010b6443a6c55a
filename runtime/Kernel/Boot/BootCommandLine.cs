using Kernel.Arch;
using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Boot
{
    // The parsed kernel command line, kept for the life of the kernel: the app's argv and environment
    // (once there is an app) and the kernel's own uk.* options.
    internal static unsafe class BootCommandLine
    {
        private const int MaxTokens = CommandLineParser.MaxTokens;
        /// <summary>sysexits' EX_USAGE: the status of a boot whose command line the kernel refuses.</summary>
        public const int RejectedExitStatus = 64;

        public static byte* RawText;
        public static int RawLength;
        public static byte* Text;                 // unescaped tokens, each NUL-terminated
        public static CommandLineToken* Tokens;
        public static int Count;

        /// <summary>
        /// Before anything else is said: the first unquoted uk.console.tag=HEX word becomes the console's line tag, and
        /// its digits in <paramref name="raw"/> are overwritten with '*', so that no later reader of the command line
        /// (the boot report, the parsed options) holds the secret. Needs no memory allocation.
        /// </summary>
        public static void TakeConsoleTag(byte* raw, int length)
        {
            int digits = CommandLineParser.FindConsoleTag(raw, length, out int count);
            if (digits < 0 || count > KernelConsole.MaxTagLength) return;
            KernelConsole.SetLineTag(raw + digits, count);
            for (int k = digits; k < digits + count; k++) raw[k] = (byte)'*';
        }

        /// <summary>Null on success, else what is wrong with the command line (<paramref name="truncated"/>: the loader's was too long to copy whole).</summary>
        public static string Parse(byte* raw, int length, bool truncated)
        {
            RawText = raw;
            RawLength = length;
            Count = 0;
            if (truncated) return "longer than 4095 bytes";
            Text = (byte*)KernelMemory.AllocateZeroed((nuint)RawLength + 1 + MaxTokens);
            Tokens = (CommandLineToken*)KernelMemory.AllocateZeroed((nuint)(sizeof(CommandLineToken) * MaxTokens));
            CommandLineError error;
            Count = CommandLineParser.Parse(raw, RawLength, Text, RawLength + 1 + MaxTokens, Tokens, MaxTokens, out error);
            if (Count >= 0) return null;
            Count = 0;
            if (error == CommandLineError.UnterminatedQuote) return "unterminated double quote";
            if (error == CommandLineError.TooManyTokens) return "more than 256 words";
            if (error == CommandLineError.BadEscape) return "a \\x escape without two hexadecimal digits";
            if (error == CommandLineError.NulByte) return "a \\x00 escape (NUL cannot be in an argument or environment entry)";
            if (error == CommandLineError.BadEnvironment) return "uk.env= without NAME=VALUE";
            return "too long";
        }

        /// <summary>A command line the kernel cannot take ends the boot with a report, not a panic: it is the host's input, not a kernel fault.</summary>
        public static void Reject(string problem)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("kernel command line rejected: ");
            KernelConsole.WriteLine(problem);   // never the line itself: it may hold secrets (BootReport)
            Machine.Exit(RejectedExitStatus);
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
