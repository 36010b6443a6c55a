using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Unikernel.Tools.Export;

/// <summary>
/// What every engine is told about the machine an image runs in: its name, RAM, vCPUs and the kernel command line (in
/// the kernel's grammar, KernelCommandLine), plus the image's SHA-256, from which the identifiers an engine records (a
/// UUID, a MAC address) are derived so that exporting the same image twice gives the same files.
/// </summary>
public sealed partial record VmSpec
{
    public required string Name { get; init; }
    public required ulong MemoryBytes { get; init; }
    public int Cpus { get; init; } = 1;
    public string CommandLine { get; init; } = "";
    public required byte[] ImageHash { get; init; }

    public ulong MemoryMiB => MemoryBytes >> 20;

    /// <summary>The most vCPUs any of the engines takes (Firecracker: 32).</summary>
    public const int MaxCpus = 32;

    /// <summary>
    /// Why <paramref name="name"/> cannot name a machine everywhere, or null. One rule for all engines: a Kubernetes
    /// object name (RFC 1123 label: lower-case letters, digits and '-', at most 63, starting and ending alphanumeric),
    /// which libvirt and Firecracker also take, and which is safe in file names.
    /// </summary>
    public static string? NameProblem(string name)
        => Label().IsMatch(name) ? null
            : $"--name {name}: a machine name is 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit";

    /// <summary>The name an image file suggests: its file name without the extension, made a valid label.</summary>
    public static string NameFor(string imagePath)
    {
        string stem = Path.GetFileNameWithoutExtension(imagePath).ToLowerInvariant();
        var sb = new StringBuilder();
        foreach (char c in stem) sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        string name = sb.ToString().Trim('-');
        if (name.Length > 63) name = name[..63].TrimEnd('-');
        return name.Length > 0 ? name : "unikernel";
    }

    /// <summary>A version-4-shaped UUID for this machine (name and image), stable across exports.</summary>
    public Guid Uuid()
    {
        var bytes = Derive("uuid");
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>A MAC address under <paramref name="prefix"/> (three bytes; libvirt and QEMU use 52:54:00), stable across exports.</summary>
    public string MacAddress(ReadOnlySpan<byte> prefix)
    {
        var bytes = Derive("mac");
        return string.Join(':', new[] { prefix[0], prefix[1], prefix[2], bytes[0], bytes[1], bytes[2] }.Select(b => b.ToString("x2")));
    }

    private byte[] Derive(string purpose)
        => HMACSHA256.HashData(ImageHash, Encoding.UTF8.GetBytes(purpose + "\0" + Name));

    [GeneratedRegex("^(?=.{1,63}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Label();
}
