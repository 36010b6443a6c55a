using System.Text;

namespace Kernel.Console;

// The host build's kernel console: what the kernel would print, kept for the tests to read.
internal static unsafe class KernelConsole
{
    public static readonly StringBuilder Output = new();

    public static void Write(string text) => Output.Append(text);
    public static void Write(char c) => Output.Append(c);
    public static void WriteDecimal(ulong value) => Output.Append(value);
    public static void WriteLine(string text = null) => Output.Append(text).Append('\n');
    public static void WriteEscaped(byte* text, int length) => Output.Append(Encoding.ASCII.GetString(text, length));
    public static void Prefix() => Output.Append("uk: ");
}
