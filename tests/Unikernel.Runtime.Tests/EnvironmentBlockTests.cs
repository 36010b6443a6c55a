using System.Text;
using Kernel.Boot;

namespace Unikernel.Runtime.Tests;

/// <summary>
/// The kernel's check of an environment block (runtime/Kernel/Boot/EnvironmentBlock.cs: NAME=VALUE entries each ended by
/// NUL, from the image's defaults and fw_cfg): a block is taken whole or refused with the offset of the entry at fault,
/// and the names whose values the boot report never shows.
/// </summary>
public unsafe class EnvironmentBlockTests
{
    private static (int Count, EnvironmentBlockError Error, int Offset) Validate(byte[] block)
    {
        fixed (byte* p = block)
        {
            int count = EnvironmentBlock.Validate(p, block.Length, out var error, out int offset);
            return (count, error, offset);
        }
    }

    private static (int Count, EnvironmentBlockError Error, int Offset) Validate(string block) => Validate(Encoding.UTF8.GetBytes(block));

    [Fact]
    public void TakesEveryEntryLinuxAllows()
    {
        Assert.Equal((0, EnvironmentBlockError.None, 0), Validate(""));
        Assert.Equal((6, EnvironmentBlockError.None, 0),
                     Validate("A=1\0Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning\01X=\0名前=値\0M=line\nline\0weird name\x01=x=y\0"));
    }

    [Theory]
    [InlineData("A=1\0B", nameof(EnvironmentBlockError.Unterminated), 4)]
    [InlineData("A=1\0\0", nameof(EnvironmentBlockError.EmptyEntry), 4)]
    [InlineData("A=1\0NONAME\0", nameof(EnvironmentBlockError.NoName), 4)]
    [InlineData("=x\0", nameof(EnvironmentBlockError.NoName), 0)]
    public void RefusesAMalformedBlockWithTheOffsetOfTheEntryAtFault(string block, string expected, int offset)
    {
        Assert.Equal((-1, Enum.Parse<EnvironmentBlockError>(expected), offset), Validate(block));
    }

    [Fact]
    public void RefusesMoreThanTheKernelTakes()
    {
        Assert.Equal(EnvironmentBlockError.TooLarge, Validate(new byte[EnvironmentBlock.MaxBytes + 1]).Error);
        string many = string.Concat(Enumerable.Range(0, EnvironmentBlock.MaxEntries + 1).Select(i => $"N{i}=\0"));
        Assert.Equal(EnvironmentBlockError.TooManyEntries, Validate(many).Error);
    }

    [Theory]
    [InlineData("ConnectionStrings__Db", true)]
    [InlineData("DB_PASSWORD", true)]
    [InlineData("api_key", true)]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("Jwt__Secret", true)]
    [InlineData("Tls__KeyPem", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", true)]
    [InlineData("PGPASSFILE", true)]
    [InlineData("ASPNETCORE_ENVIRONMENT", false)]
    [InlineData("Logging__LogLevel__Default", false)]
    [InlineData("PWD", false)]
    [InlineData("PATH", false)]
    public void NamesThatLookSecret(string name, bool secret)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes) Assert.Equal(secret, EnvironmentBlock.LooksSecret(p, bytes.Length));
    }
}
