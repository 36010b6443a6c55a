using System.Text;
using Kernel.Boot;
using Unikernel.Formats;

namespace Unikernel.Runtime.Tests;

/// <summary>
/// The kernel's reading of the cloud's user data (runtime/Kernel/Boot/UserData.cs): env-file text, read as `uk run
/// --env-file` reads it on the host (formats/Host/EnvironmentFile.cs), checked whole, cloud-init's formats recognised.
/// </summary>
public unsafe class UserDataTests
{
    private static (int Count, string Block, UserDataError Error, int Line) Convert(byte[] text)
    {
        var block = new byte[text.Length + 1];
        fixed (byte* t = text)
        fixed (byte* b = block)
        {
            int count = UserData.ToEnvironmentBlock(t, text.Length, b, out int length, out var error, out int line);
            return (count, Encoding.UTF8.GetString(block, 0, length), error, line);
        }
    }

    private static (int Count, string Block, UserDataError Error, int Line) Convert(string text) => Convert(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("A=1")]
    [InlineData("A=1\nB=2\n")]
    [InlineData("\uFEFF# the app's settings\r\n\r\n  GREETING=hello world  \r\nURL=http://x/?a=b=c\n\tEMPTY=\n")]
    [InlineData("#uk-env\nLogging__LogLevel__Microsoft.Hosting.Lifetime=Warning\n名前=値\nQUOTED=\"kept\"\n")]
    [InlineData("\u00A0\u2003A=leading Unicode spaces\n   # indented comment\nB=x\r")]
    public void ReadsWhatUkRunEnvFileReads(string text)
    {
        var expected = EnvironmentFile.Parse(text, "user-data", hostEnvironment: null);
        string block = Encoding.UTF8.GetString(EnvironmentFile.Encode(expected));
        Assert.Equal((expected.Count, block, UserDataError.None, 0), Convert(text));
    }

    [Theory]
    [InlineData("A=1\n=nothing\n", nameof(UserDataError.NoName), 2)]
    [InlineData("A=1\nB=2\nMY VAR=x\n", nameof(UserDataError.NameHasWhitespace), 3)]
    [InlineData("A\u2003B=x\n", nameof(UserDataError.NameHasWhitespace), 1)]
    [InlineData("A=1\r\nBARE\r\n", nameof(UserDataError.NoValue), 2)]
    [InlineData("A=1\0\n", nameof(UserDataError.NulByte), 1)]
    [InlineData("packages:\n  - nginx\n", nameof(UserDataError.NoValue), 1)]
    public void RefusesMalformedTextWholeWithTheLineAtFault(string text, string error, int line)
    {
        Assert.Equal((-1, "", Enum.Parse<UserDataError>(error), line), Convert(text));
        Assert.ThrowsAny<FormatException>(() => EnvironmentFile.Parse(text, "user-data", hostEnvironment: null));
    }

    [Fact]
    public void RefusesMoreThanTheKernelTakes()
    {
        Assert.Equal(UserDataError.TooLarge, Convert(new string('#', UserData.MaxBytes + 1)).Error);
        Assert.Equal(UserDataError.TooManyEntries, Convert(string.Concat(Enumerable.Range(0, 1025).Select(i => $"N{i}=1\n"))).Error);
    }

    [Theory]
    [InlineData("#cloud-config\npackages: [nginx]\n", "#cloud-config")]
    [InlineData("\uFEFF#cloud-config\n", "#cloud-config")]
    [InlineData("#cloud-config-archive\n", "#cloud-config-archive")]
    [InlineData("#!/bin/sh\necho hi\n", "a #! script")]
    [InlineData("#include\nhttp://x\n", "#include")]
    [InlineData("Content-Type: multipart/mixed; boundary=x\n", "MIME multipart")]
    [InlineData("\u001F\u008B", "gzip")]
    public void RecognisesCloudInitsFormats(string text, string format)
    {
        byte[] bytes = text == "\u001F\u008B" ? [0x1F, 0x8B, 8, 0] : Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes) Assert.Equal(format, UserData.CloudInitFormat(p, bytes.Length));
    }

    [Theory]
    [InlineData("A=1\n")]
    [InlineData("# cloud-config is only a comment here\nA=1\n")]
    [InlineData("#uk-env\nA=1\n")]
    public void TakesOurOwnTextAsOurs(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes) Assert.Null(UserData.CloudInitFormat(p, bytes.Length));
    }
}
