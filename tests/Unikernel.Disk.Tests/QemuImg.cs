using System.Diagnostics;
using Unikernel.Disk.Formats;

namespace Unikernel.Disk.Tests;

/// <summary>Debian's qemu-img (package qemu-utils), the independent reader every format file is checked with.</summary>
internal static class QemuImg
{
    public const string Path = "/usr/bin/qemu-img";

    public static void SkipIfAbsent() => Skip.IfNot(File.Exists(Path), $"{Path} is missing: install Debian's qemu-utils (make setup)");

    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEndAsync().Result;
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            throw new TimeoutException($"qemu-img {string.Join(' ', arguments)} did not finish in 120 s");
        }
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>Writes <paramref name="disk"/> in <paramref name="format"/> into a file, checks that qemu-img reads it as
    /// <paramref name="qemuFormat"/> of the right virtual size, that `qemu-img check` finds no error or leak (where
    /// qemu-img can check the format), and that converting it back to raw gives the disk byte for byte. qemu-img
    /// recognizes every format by itself but a fixed VHD (only a footer at the end), for which it is told.</summary>
    public static void AssertRoundTrip(string format, string qemuFormat, byte[] disk, bool checkable, bool probed = true)
    {
        using var directory = new TemporaryDirectory();
        string file = System.IO.Path.Combine(directory.Path, "disk" + DiskFormat.Writer(format).Extension);
        DiskFormat.WriteFile(DiskFormat.Writer(format), disk, DiskIdentity.Of(disk), file);

        (int infoCode, string info) = probed ? Run("info", "--output=json", file) : Run("info", "--output=json", "-f", qemuFormat, file);
        Assert.True(infoCode == 0, info);
        Assert.Contains($"\"format\": \"{qemuFormat}\"", info);
        Assert.Contains($"\"virtual-size\": {disk.Length},", info);

        if (checkable)
        {
            (int checkCode, string check) = Run("check", "-f", qemuFormat, file);
            Assert.True(checkCode == 0, check);
            Assert.Contains("No errors were found on the image.", check);
        }

        string back = System.IO.Path.Combine(directory.Path, "back.raw");
        (int convertCode, string convert) = Run("convert", "-f", qemuFormat, "-O", "raw", file, back);
        Assert.True(convertCode == 0, convert);
        AssertSameBytes(disk, back);
    }

    public static void AssertSameBytes(byte[] expected, string file) => FormatTestSupport.AssertSameBytes(expected, File.ReadAllBytes(file));
}

internal sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("uk-formats-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
