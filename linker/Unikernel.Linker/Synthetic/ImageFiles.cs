using Unikernel.Formats;
using Unikernel.Linker.Model;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Synthetic;

/// <summary>
/// <c>uk_files</c> (formats/UkFilesFormat.cs, docs/boot-abi.md "uk_files"): the read-only file system of an image with
/// an app. It always holds the app's executable as <c>/app/NAME</c> (an empty placeholder: the app's bytes are its
/// segments; the path is what /proc/self/exe names and where AppContext.BaseDirectory points), and whatever
/// <c>--files MANIFEST</c> lists. The manifest is text, one entry a line, fields separated by a tab:
/// <c>file IMAGE-PATH HOST-PATH</c> (the host file's bytes; mode 0755 when the host file is executable by its owner,
/// else 0644) or <c>link IMAGE-PATH TARGET</c> (a symlink). Directories are implied (0755). Every entry has the time of
/// <c>--files-time SECONDS</c> (default 0). Nothing of the host but the bytes and the owner's execute bit reaches the
/// image, so the same files give the same section. <c>--env-file FILE</c> (a docker-style env file, formats/Host/
/// EnvironmentFile.cs) becomes <c>/etc/uk/environ</c>, the app's default environment as the kernel's environment block
/// (runtime/Kernel/Boot/BootEnvironment.cs): a file of the image rather than a record of its own because the image's
/// file system already carries named bytes to the kernel, into <c>uk inspect</c>'s file list and the image's hashes,
/// and the kernel reads that block format from fw_cfg too; checked here, so a bad entry fails the publish, not the boot.
/// </summary>
public static class ImageFiles
{
    public const string SectionName = UkFilesFormat.SectionName;
    public const string AppDirectory = "/app";

    /// <summary>Where the kernel mounts its own file systems: image files there could never be seen.</summary>
    public static readonly string[] KernelMountPoints = ["/dev", "/proc", "/sys", "/tmp"];

    /// <summary>Where the image keeps its default environment (runtime/Kernel/Boot/BootEnvironment.cs reads it there).</summary>
    public const string EnvironmentPath = "/etc/uk/environ";

    /// <summary>
    /// Bytes of the packed stream each block holds (formats/UkFilesFormat.cs, "Packed files"). The kernel expands a
    /// whole block the first time a file in it is read: a smaller block costs that first read less and compresses
    /// worse. Measured on Debian's tzdata (641,294 distinct bytes; docs/benchmarks.md, "Packed files"): 4 KiB blocks
    /// 56.5 % of that, 16 KiB 43.5 %, 64 KiB 33.6 %, the most LZ4's 64 KiB window makes use of. A first read then
    /// costs the expansion of 64 KiB, some 0.1 M guest instructions, once.
    /// </summary>
    public const int PackedBlockSize = 64 * 1024;

    /// <summary>Shortest match of the packed blocks' LZ4: the format's own 4, since a block is expanded only when a file
    /// in it is read, never at boot, so bytes count for more than the decoder's steps (the boot payload uses 8).</summary>
    public const int PackedShortestMatch = 4;

    /// <summary>How <c>uk-ld</c> packs an image's files unless <c>--no-pack-files</c>: every regular file but the
    /// default environment, which the kernel reads in place at boot.</summary>
    internal static readonly UkFilesPacking Packing = new(PackedBlockSize,
        bytes => Compression.Lz4BlockEncoder.Encode(bytes, PackedShortestMatch), path => path != EnvironmentPath);

    /// <param name="leaveOut">Manifest entries (by image path) that stay out of the image; <paramref name="leftOut"/> counts them.</param>
    public static InputSection CreateSection(string appPath, string? manifestPath, uint modifiedTime, string? environmentFile,
        bool pack, Func<string, bool>? leaveOut, out int leftOut, out IReadOnlyList<string> paths)
    {
        string executable = AppDirectory + "/" + Path.GetFileName(appPath);
        var items = new List<UkFilesItem> { new(executable, UkFilesFormat.TypeRegular | 0x1ED, []) };
        leftOut = 0;
        if (manifestPath is not null)
            foreach (var item in ReadManifest(manifestPath))
                if (leaveOut?.Invoke(item.Path) == true) leftOut++;
                else items.Add(item);
        if (environmentFile is not null)
        {
            if (items.Any(item => item.Path == EnvironmentPath))
                throw new LinkerException($"--files puts a file at {EnvironmentPath}, where --env-file puts the app's default environment", file: manifestPath);
            items.Add(new UkFilesItem(EnvironmentPath, UkFilesFormat.TypeRegular | 0x1A4, ReadEnvironment(environmentFile)));
        }
        paths = items.Select(item => item.Path).ToList();
        byte[] data;
        try
        {
            data = UkFilesCodec.Encode(items, executable, modifiedTime, pack ? Packing : null);
        }
        catch (ArgumentException error)
        {
            throw new LinkerException($"--files: {error.Message}", file: manifestPath);
        }
        return new InputSection(null, SectionName, SHT_PROGBITS, SHF_ALLOC, UkFilesFormat.DataAlignment, (ulong)data.Length, data);
    }

    private static byte[] ReadEnvironment(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
        {
            throw new LinkerException($"cannot read the --env-file: {error.Message}", file: path);
        }
        try
        {
            return EnvironmentFile.Encode(EnvironmentFile.Parse(text, path, hostEnvironment: null));
        }
        catch (FormatException error)
        {
            throw new LinkerException($"--env-file: {error.Message}");
        }
    }

    private static List<UkFilesItem> ReadManifest(string manifestPath)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(manifestPath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LinkerException($"cannot read the --files manifest: {error.Message}", file: manifestPath);
        }
        var items = new List<UkFilesItem>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0)
                continue;
            string where = $"{manifestPath}:{i + 1}";
            string[] fields = line.Split('\t');
            if (fields.Length != 3 || (fields[0] != "file" && fields[0] != "link"))
                throw new LinkerException("expected 'file<TAB>IMAGE-PATH<TAB>HOST-PATH' or 'link<TAB>IMAGE-PATH<TAB>TARGET'", file: where);
            string imagePath = fields[1];
            if (UkFilesCodec.SplitPath(imagePath, out string? problem) is null)
                throw new LinkerException($"image path '{imagePath}' {problem}", file: where);
            if (KernelMountPoints.FirstOrDefault(mount => imagePath == mount || imagePath.StartsWith(mount + "/", StringComparison.Ordinal)) is { } mounted)
                throw new LinkerException($"image path '{imagePath}' is under {mounted}, where the kernel mounts its own file system", file: where);
            if (fields[0] == "link")
            {
                if (fields[2].Length == 0 || fields[2].Length >= UkFilesFormat.PathMax)
                    throw new LinkerException($"symlink '{imagePath}' has an empty or too long target", file: where);
                items.Add(new UkFilesItem(imagePath, UkFilesFormat.TypeSymlink | 0x1FF, System.Text.Encoding.UTF8.GetBytes(fields[2])));
                continue;
            }
            string hostPath = fields[2];
            try
            {
                byte[] bytes = File.ReadAllBytes(hostPath);
                bool executable = !OperatingSystem.IsWindows() && (File.GetUnixFileMode(hostPath) & UnixFileMode.UserExecute) != 0;
                items.Add(new UkFilesItem(imagePath, UkFilesFormat.TypeRegular | (executable ? 0x1EDu : 0x1A4u), bytes));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new LinkerException($"cannot read '{hostPath}' for image path '{imagePath}': {error.Message}", file: where);
            }
        }
        return items;
    }
}
