using System.Text;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// Writes the kernel command line in the grammar the kernel parses (runtime/Kernel/Boot/CommandLine.cs): uk.* kernel
/// options and environment entries before "--", app arguments after it. Every byte Linux allows in an argument or an
/// environment entry (all but NUL) gets through exactly: the line is printable ASCII, with words holding spaces in double
/// quotes, '"' and '\' escaped with a backslash, and control bytes and non-ASCII (UTF-8) bytes written as \xHH -- so the
/// kernel never splits a word on a CR or a tab, and a value cannot smuggle in a kernel option. An environment name the
/// kernel would not recognise as one on its own (non-ASCII, '-', '.', a leading digit) is written uk.env=NAME=VALUE.
/// What the kernel cannot take (too long, too many words, NUL) is refused here with one line: uk exits 2.
/// </summary>
public static class KernelCommandLine
{
    /// <summary>The kernel copies at most this many bytes (runtime/Kernel/Boot/LoaderData.cs: 4096 with the NUL).</summary>
    public const int KernelMaxBytes = 4095;
    /// <summary>The kernel takes at most this many words (runtime/Kernel/Boot/BootCommandLine.cs; "--" is not one).</summary>
    public const int KernelMaxWords = 256;
    /// <summary>
    /// Room kept for what is added after this: uk's console tag (ConsoleTag) and the virtio_mmio.device=SIZE@BASE:IRQ word
    /// QEMU's microvm appends for a network card (at most 64 bytes with its space).
    /// </summary>
    public const int ReservedBytes = ConsoleTag.OptionLength + 64, ReservedWords = 2;
    public const int MaxBytes = KernelMaxBytes - ReservedBytes, MaxWords = KernelMaxWords - ReservedWords;

    /// <exception cref="ArgumentException">One line naming what the kernel cannot take.</exception>
    public static string Build(IEnumerable<string> kernelOptions, IEnumerable<string> environment, IEnumerable<string> arguments)
    {
        var words = new List<string>();
        int count = 0;
        foreach (var option in kernelOptions)
        {
            RefuseNul(option, "-k");
            if (!option.StartsWith("uk.", StringComparison.Ordinal) || option.Length == 3 || option[3] == '=')
                throw new ArgumentException($"-k {Show(option)}: kernel options are uk.NAME[=VALUE]");
            if (option == ConsoleTag.OptionName || option.StartsWith(ConsoleTag.OptionName + "=", StringComparison.Ordinal))
                throw new ArgumentException($"-k {ConsoleTag.OptionName}: uk run sets it itself, a new secret for each boot");
            words.Add(Quote(option));
            count++;
        }
        foreach (var entry in environment)
        {
            RefuseNul(entry, "-e");
            int equals = entry.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"environment entry '{Show(entry)}' is not KEY=VALUE");
            words.Add(Quote(IsPlainEnvironmentName(entry.AsSpan(0, equals)) ? entry : "uk.env=" + entry));
            count++;
        }
        var args = arguments.ToList();
        foreach (var argument in args) RefuseNul(argument, "argument");
        if (args.Count > 0)
        {
            words.Add("--");
            words.AddRange(args.Select(Quote));
            count += args.Count;
        }
        string line = string.Join(' ', words);
        if (count > MaxWords)
            throw new ArgumentException($"{count} words (kernel options, environment entries and arguments): the kernel takes at most {MaxWords} from uk run");
        if (line.Length > MaxBytes)
            throw new ArgumentException($"the kernel command line would be {line.Length:N0} bytes: the kernel takes at most {MaxBytes:N0} from uk run (escapes included)");
        return line;
    }

    /// <summary>One word, as the kernel's parser reads it back byte for byte (UTF-8 for non-ASCII).</summary>
    public static string Quote(string word)
    {
        var bytes = Encoding.UTF8.GetBytes(word);
        bool quote = bytes.Length == 0 || bytes.Contains((byte)' ');
        var sb = new StringBuilder(bytes.Length + 2);
        if (quote) sb.Append('"');
        foreach (byte b in bytes)
        {
            if (b is (byte)'"' or (byte)'\\') sb.Append('\\').Append((char)b);
            else if (b is >= 0x20 and < 0x7F) sb.Append((char)b);
            else sb.Append($"\\x{b:x2}");
        }
        if (quote) sb.Append('"');
        return sb.ToString();
    }

    /// <summary>The names the kernel takes as environment names by themselves: a letter or _, then letters, digits, _.</summary>
    public static bool IsPlainEnvironmentName(ReadOnlySpan<char> name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool letter = c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';
            if (!(letter || (c is >= '0' and <= '9' && i > 0))) return false;
        }
        return name.Length > 0;
    }

    private static void RefuseNul(string word, string what)
    {
        if (word.Contains('\0')) throw new ArgumentException($"{what} '{Show(word)}' holds a NUL byte, which Linux does not allow in arguments or environment entries");
    }

    /// <summary>A word for an error message: control characters escaped, so that it stays one line.</summary>
    private static string Show(string word)
    {
        var sb = new StringBuilder();
        foreach (char c in word.Length > 60 ? word[..60] + "..." : word)
            sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return sb.ToString();
    }
}
