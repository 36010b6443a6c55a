using System.Globalization;

namespace Unikernel.Linker;

public static class CommandLine
{
    public const string Usage =
        "usage: uk-ld -o OUT [--map MAP] [--base 0x100000] [--entry SYMBOL] INPUT.o...";

    /// <summary>Returns null when the user only asked for help.</summary>
    public static LinkOptions? Parse(IReadOnlyList<string> args)
    {
        string? output = null;
        string? map = null;
        ulong baseAddress = LinkOptions.DefaultBaseAddress;
        string entry = LinkOptions.DefaultEntrySymbol;
        var inputs = new List<string>();

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return null;
                case "-o":
                    output = ValueOf(args, ref i);
                    break;
                case "--map" or "-Map":
                    map = ValueOf(args, ref i);
                    break;
                case "--base":
                    baseAddress = ParseAddress(ValueOf(args, ref i));
                    break;
                case "--entry" or "-e":
                    entry = ValueOf(args, ref i);
                    break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1)
                        throw new LinkerException($"unknown option '{arg}'; {Usage}");
                    inputs.Add(arg);
                    break;
            }
        }

        if (output is null)
            throw new LinkerException($"no output file given (-o); {Usage}");
        if (inputs.Count == 0)
            throw new LinkerException($"no input files; {Usage}");
        if (baseAddress % Layout.SectionLayout.PageSize != 0)
            throw new LinkerException($"--base 0x{baseAddress:x} is not 4 KiB aligned");

        return new LinkOptions
        {
            OutputPath = output,
            MapPath = map,
            BaseAddress = baseAddress,
            EntrySymbol = entry,
            InputPaths = inputs,
        };
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
            throw new LinkerException($"option '{args[i]}' needs a value; {Usage}");
        return args[++i];
    }

    private static ulong ParseAddress(string text)
    {
        bool parsed = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!parsed)
            throw new LinkerException($"invalid address '{text}'");
        return value;
    }
}
