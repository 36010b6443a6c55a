using System.Text;

namespace Unikernel.Disk.Layout;

/// <summary>8.3 short names (FAT spec section 6.1): upper case, a base of 1..8 and an extension of 0..3 characters from
/// the allowed set, stored as 11 bytes padded with spaces. Long names are not needed: every path on our ESP is 8.3.</summary>
public static class FatNames
{
    private const string AllowedSpecials = "$%'-_@~`!(){}^#&";

    public static byte[] ToShortName(string name)
    {
        int dot = name.LastIndexOf('.');
        string stem = dot < 0 ? name : name[..dot], extension = dot < 0 ? "" : name[(dot + 1)..];
        if (stem.Length is 0 or > 8 || extension.Length > 3 || !(stem + extension).All(IsAllowed))
            throw new ArgumentException($"'{name}' is not an upper-case 8.3 name");
        var bytes = Encoding.ASCII.GetBytes(stem.PadRight(8) + extension.PadRight(3));
        return bytes;
    }

    public static string FromShortName(ReadOnlySpan<byte> name)
    {
        string stem = Encoding.ASCII.GetString(name[..8]).TrimEnd(), extension = Encoding.ASCII.GetString(name[8..11]).TrimEnd();
        return extension.Length == 0 ? stem : stem + "." + extension;
    }

    private static bool IsAllowed(char c) => c is >= 'A' and <= 'Z' or >= '0' and <= '9' || AllowedSpecials.Contains(c);
}
