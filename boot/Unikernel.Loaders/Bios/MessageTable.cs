using System.Text;

namespace Unikernel.Loaders.Bios;

/// <summary>
/// The NUL-terminated ASCII strings a real-mode program prints. Code is generated twice: the first pass asks for each
/// string (and gets 0, as every use is a fixed-size immediate), <see cref="Place"/> then puts the strings after the code,
/// and the second pass gets their addresses.
/// </summary>
internal sealed class MessageTable
{
    private readonly List<string> _texts = new();
    private readonly Dictionary<string, ushort> _addresses = new(StringComparer.Ordinal);
    private bool _placed;

    public ushort this[string text]
    {
        get
        {
            if (text.Any(c => c is < ' ' and not '\r' and not '\n' or > '~'))
                throw new ArgumentException($"message is not printable ASCII: {text}", nameof(text));
            if (!_placed)
            {
                if (!_texts.Contains(text)) _texts.Add(text);
                return 0;
            }
            return _addresses.TryGetValue(text, out var address)
                ? address
                : throw new InvalidOperationException($"message added after the first pass: {text}");
        }
    }

    /// <summary>Fixes every string's address from <paramref name="start"/> on; returns their bytes.</summary>
    public byte[] Place(ulong start)
    {
        var bytes = new List<byte>();
        foreach (var text in _texts)
        {
            _addresses[text] = checked((ushort)(start + (ulong)bytes.Count));
            bytes.AddRange(Encoding.ASCII.GetBytes(text));
            bytes.Add(0);
        }
        _placed = true;
        return bytes.ToArray();
    }
}
