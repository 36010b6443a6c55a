using System.Globalization;
using System.Text;

namespace Unikernel.Linker;

/// <summary>
/// Names that come from inputs (symbols, sections, archive members, paths, option values) reach the user's terminal in
/// error messages. A corrupt or hostile object can put terminal escape sequences, carriage returns or bidirectional
/// overrides into them that would rewrite or hide what the terminal shows, so every message is escaped before it is
/// printed: control characters (C0, DEL, C1), Unicode format characters and line/paragraph separators become
/// <c>\xNN</c> or <c>\u{NNNN}</c>. Printable text, including non-ASCII letters, is left alone.
/// </summary>
public static class MessageText
{
    public static string Escape(string text)
    {
        int first = 0;
        while (first < text.Length && !NeedsEscape(text[first]))
            first++;
        if (first == text.Length)
            return text;
        var escaped = new StringBuilder(text.Length + 8).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!NeedsEscape(c))
                escaped.Append(c);
            else if (c <= 0xff)
                escaped.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else
                escaped.Append("\\u{").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)).Append('}');
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => c < 0x20 || c >= 0x7f && (char.IsControl(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator);
}
