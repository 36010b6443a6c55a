namespace Unikernel.Tools.Inspect;

/// <summary>Where a compiled .NET method came from, as far as its ILC symbol name tells.</summary>
/// <param name="Assembly">The assembly's name, e.g. <c>System.Private.CoreLib</c>, <c>System.Console</c>, <c>hello</c>.</param>
/// <param name="Namespace">Dotted namespace, "" for the global namespace. A nested type's outer type reads as one more
/// namespace segment: the mangled name does not tell them apart.</param>
/// <param name="Type">The type's (innermost) name, without generic arguments.</param>
public sealed record IlcName(string Assembly, string Namespace, string Type)
{
    public const string GlobalNamespace = "(global)";
    public string NamespaceOrGlobal => Namespace.Length == 0 ? GlobalNamespace : Namespace;
}

/// <summary>
/// Groups ILC (NativeAOT) symbol names by assembly and namespace. ILC names a method
/// <c>{assembly}_{namespace}_{type}__{method}</c> with every character that is not a letter or digit turned into
/// <c>_</c> (so dots too), <c>System.Private.X</c> abbreviated to <c>S_P_X</c>, generic arguments in <c>&lt;...&gt;</c>,
/// and the system module's primitive types and String/Object by their bare names (<c>String__Concat</c>). Helpers
/// are prefixed (<c>__GetGCStaticBase_</c>, <c>unbox_</c>, <c>&lt;Boxed&gt;</c>). Since dots and underscores collapse,
/// the split between assembly and namespace is a heuristic: the namespace starts where the assembly's first word
/// comes back (<c>System_Console_System_ConsolePal</c>: assembly System.Console, namespace System) or at a
/// framework root (<c>System</c>, <c>Internal</c>, <c>Microsoft</c>, <c>Interop</c>); otherwise the assembly is the
/// first word (<c>hello_Program__Main</c>), unless a known assembly name (the app's) matches.
/// </summary>
public static class IlcNames
{
    public const string SystemModule = "System.Private.CoreLib";

    private static readonly HashSet<string> Roots = ["System", "Internal", "Microsoft", "Interop", "FxResources", "Windows"];

    /// <summary>The system module's types ILC names without an assembly prefix.</summary>
    private static readonly HashSet<string> WellKnownTypes =
    [
        "Bool", "UInt8", "Int8", "UInt16", "Int16", "UInt32", "Int32", "UInt64", "Int64", "Char", "Double", "Single",
        "IntPtr", "UIntPtr", "Object", "String",
    ];

    private static readonly string[] HelperPrefixes = ["unbox_"];

    /// <summary>Compiler-made types in the global namespace, written &lt;Name&gt; (sanitized: _Name_).</summary>
    private static readonly string[] SpecialTypes = ["Module", "PrivateImplementationDetails"];

    /// <summary>ILC's own generated code (Internal.CompilerGenerated: reflection invoke stubs and the like).</summary>
    public const string CompilerGenerated = "(compiler-generated)";

    /// <summary>The assembly/namespace/type of an ILC method symbol, or null when the name is not one (C, C++, runtime stubs).</summary>
    /// <param name="name">A symbol name; a unit or table qualifier such as <c>app:</c> or <c>kernel:</c> is ignored.</param>
    /// <param name="knownAssemblies">Assembly names to prefer (the app's own, from its executable's name).</param>
    /// <param name="systemModule">The assembly that owns the well-known types (the kernel's is <c>Core</c>).</param>
    public static IlcName? Demangle(string name, IEnumerable<string>? knownAssemblies = null, string systemModule = SystemModule)
    {
        string s = StripQualifier(name);
        s = StripPrefixes(s, out bool helper);
        if (s.Length == 0 || !char.IsAsciiLetter(s[0])) return null;

        string typePath = TypePath(s, out bool hasMethodSeparator);
        var tokens = typePath.Split('_');
        if (tokens.Any(t => t.Length == 0)) return null;
        var known = knownAssemblies?.ToList() ?? [];

        // <Module> and <PrivateImplementationDetails>: global-namespace types whose sanitized names start with '_'
        // (hello__Module___MainMethodWrapper = hello + _ + _Module_ + __ + _MainMethodWrapper).
        if (hasMethodSeparator && SpecialTypes.FirstOrDefault(t => s.AsSpan(typePath.Length).StartsWith("__" + t + "_", StringComparison.Ordinal)) is { } special)
        {
            if (tokens.Length == 1 && WellKnownTypes.Contains(tokens[0])) return new IlcName(systemModule, "System", tokens[0]);
            string assembly = tokens is ["S", "P", ..] && tokens.Length > 2 ? "System.Private." + string.Join('.', tokens[2..]) : string.Join('.', tokens);
            return new IlcName(assembly == "Internal.CompilerGenerated" ? CompilerGenerated : assembly, "", "<" + special + ">");
        }
        if (tokens.Length == 1)
        {
            // String__Concat, Int32__ToString: the system module's well-known types.
            if (hasMethodSeparator && WellKnownTypes.Contains(tokens[0])) return new IlcName(systemModule, "System", tokens[0]);
            return null;
        }
        // SystemNative_Read, pthread_create: C names have no method separator and no generic arguments.
        if (!hasMethodSeparator && !helper && !s.Contains('<')) return null;

        // S_P_CoreLib_...: System.Private.*; the namespace starts at the first framework root word.
        if (tokens[0] == "S" && tokens[1] == "P" && tokens.Length >= 3)
        {
            if (tokens.Length == 3) return new IlcName("System.Private." + tokens[2], "", "<Module>");
            int end = 3;
            for (int i = 3; i < tokens.Length; i++)
                if (Roots.Contains(tokens[i])) { end = i; break; }
            return Make("System.Private." + string.Join('.', tokens[2..end]), tokens[end..]);
        }

        foreach (var assembly in known.OrderByDescending(a => a.Length))
        {
            var words = Sanitize(assembly).Split('_');
            if (words.Length < tokens.Length && tokens.AsSpan(0, words.Length).SequenceEqual(words))
                return Make(assembly, tokens[words.Length..]);
        }

        for (int k = 1; k < tokens.Length; k++)
        {
            if ((tokens[k] == tokens[0] && k < tokens.Length - 1) || Roots.Contains(tokens[k]))
                return Make(string.Join('.', tokens[..k]), tokens[k..]);
        }
        return Make(tokens[0], tokens[1..]);
    }

    /// <summary>ILC's sanitizing of a name: letters and digits stay, everything else becomes '_'.</summary>
    public static string Sanitize(string name)
        => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>The namespace and type from the words after the assembly. A word of digits is a generic arity
    /// (<c>List_1</c>: List`1); a generic type ends the namespace (what follows it are nested types).</summary>
    private static IlcName Make(string assembly, string[] rest)
    {
        var words = new List<(string Word, bool Generic)>();
        foreach (var w in rest)
        {
            if (words.Count > 0 && w.All(char.IsAsciiDigit)) words[^1] = (words[^1].Word + "`" + w, true);
            else words.Add((w, false));
        }
        int typeAt = words.FindIndex(w => w.Generic);
        if (typeAt < 0) typeAt = words.Count - 1;
        string type = string.Join('.', words.Skip(typeAt).Select(w => w.Word));
        string ns = string.Join('.', words.Take(typeAt).Select(w => w.Word));
        if (assembly == "Internal.CompilerGenerated") assembly = CompilerGenerated;
        return new IlcName(assembly, ns, type);
    }

    private static string StripQualifier(string name)
    {
        int colon = name.IndexOf(':');
        int angle = name.IndexOf('<');
        return colon > 0 && (angle < 0 || colon < angle) ? name[(colon + 1)..] : name;
    }

    private static string StripPrefixes(string s, out bool helper)
    {
        helper = false;
        while (true)
        {
            if (s.StartsWith('<'))
            {
                int close = MatchingAngle(s, 0);
                if (close < 0) return "";
                s = s[(close + 1)..];
                continue;
            }
            // __GetGCStaticBase_X, __GetNonGCStaticBase_X, __GenericLookupFromType_X, __DelegateCtor_X, ...
            if (s.StartsWith("__", StringComparison.Ordinal) && s.Length > 2 && char.IsAsciiLetterUpper(s[2]))
            {
                int underscore = s.IndexOf('_', 2);
                if (underscore < 0) return "";
                s = s[(underscore + 1)..];
                helper = true;
                continue;
            }
            var prefix = HelperPrefixes.FirstOrDefault(p => s.StartsWith(p, StringComparison.Ordinal));
            if (prefix is not null) { s = s[prefix.Length..]; helper = true; continue; }
            return s;
        }
    }

    /// <summary>The mangled type's path: up to the first "__" (the method separator) or '&lt;' (generic arguments).</summary>
    private static string TypePath(string s, out bool hasMethodSeparator)
    {
        hasMethodSeparator = false;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '<') return s[..i];
            if (s[i] == '_' && i + 1 < s.Length && s[i + 1] == '_')
            {
                hasMethodSeparator = true;
                return s[..i];
            }
        }
        return s;
    }

    private static int MatchingAngle(string s, int open)
    {
        int depth = 0;
        for (int i = open; i < s.Length; i++)
        {
            if (s[i] == '<') depth++;
            else if (s[i] == '>' && --depth == 0) return i;
        }
        return -1;
    }
}
