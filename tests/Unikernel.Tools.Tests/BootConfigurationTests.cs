using System.Text;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

/// <summary>
/// What `uk run` hands the guest (tools/Uk/Qemu/BootConfiguration.cs): -e entries on the kernel command line while they
/// fit and in the fw_cfg block after the env files' otherwise, --env-file through fw_cfg, docker's bare -e NAME, the
/// terminal option from uk's own stdout, and one-line refusals of what Linux would refuse.
/// </summary>
public sealed class BootConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("uk-config-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Func<string, string?> NoHostEnvironment = _ => null;

    private string EnvFile(string text)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.env");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void EnvironmentEntriesGoOnTheCommandLineWhileTheyFit()
    {
        var c = BootConfiguration.Prepare([], ["Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning", "A=1"], [], ["x"], NoHostEnvironment, outputIsTerminal: false);
        Assert.Equal("uk.env=Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning A=1 -- x", c.CommandLine);
        Assert.Null(c.FirmwareEnvironment);
    }

    [Fact]
    public void EnvFilesGoThroughFwCfgAndTheCommandLineOverridesThem()
    {
        var c = BootConfiguration.Prepare([], ["B=cli"], [EnvFile("# c\nA=file\nB=file\n")], [], NoHostEnvironment, outputIsTerminal: false);
        Assert.Equal("B=cli", c.CommandLine);
        Assert.Equal("A=file\0B=file\0", Encoding.UTF8.GetString(c.FirmwareEnvironment!));
    }

    [Fact]
    public void EntriesTooLongForTheCommandLineMoveToFwCfgAfterTheFilesOnes()
    {
        var many = Enumerable.Range(0, 60).Select(i => $"N.{i}={new string('v', 80)}").ToList();
        var c = BootConfiguration.Prepare(["uk.strace"], many, [EnvFile("N.0=from file\n")], ["arg"], NoHostEnvironment, outputIsTerminal: false);
        Assert.Equal("uk.strace -- arg", c.CommandLine);
        string block = Encoding.UTF8.GetString(c.FirmwareEnvironment!);
        Assert.StartsWith("N.0=from file\0N.0=" + new string('v', 80) + "\0", block);   // the later entry wins in the kernel
        Assert.Equal(61, block.Count(ch => ch == '\0'));
    }

    [Fact]
    public void ABareNameTakesUksOwnValueOrNothingAsDockerDoes()
    {
        var c = BootConfiguration.Prepare([], ["HOME_DIR", "UNSET_ONE"], [EnvFile("HOME_DIR\n")], [], n => n == "HOME_DIR" ? "/home/me" : null, outputIsTerminal: false);
        Assert.Equal("HOME_DIR=/home/me", c.CommandLine);
        Assert.Equal("HOME_DIR=/home/me\0", Encoding.UTF8.GetString(c.FirmwareEnvironment!));
    }

    [Theory]
    [InlineData(true, new string[0], "uk.console.tty=1")]
    [InlineData(false, new string[0], "")]
    [InlineData(true, new[] { "uk.console.tty=0" }, "uk.console.tty=0")]
    public void TheConsoleIsATerminalWhenUksOutputIs(bool terminal, string[] options, string expected)
    {
        Assert.Equal(expected, BootConfiguration.Prepare(options, [], [], [], NoHostEnvironment, terminal).CommandLine);
    }

    [Fact]
    public void WhatLinuxWouldRefuseIsAOneLineError()
    {
        Assert.Equal("environment entry '=x' is not KEY=VALUE",
                     Assert.Throws<ArgumentException>(() => BootConfiguration.Prepare([], ["=x"], [], [], NoHostEnvironment, false)).Message);
        Assert.Contains("holds a NUL byte",
                        Assert.Throws<ArgumentException>(() => BootConfiguration.Prepare([], ["A=\0"], [], [], NoHostEnvironment, false)).Message);
        string bad = EnvFile("OK=1\nMY VAR=2\n");
        Assert.Equal($"--env-file {bad}:2: variable 'MY VAR' contains whitespace",
                     Assert.Throws<ArgumentException>(() => BootConfiguration.Prepare([], [], [bad], [], NoHostEnvironment, false)).Message);
        string missing = Path.Combine(_dir, "missing.env");
        Assert.StartsWith($"--env-file {missing}: ", Assert.Throws<ArgumentException>(() => BootConfiguration.Prepare([], [], [missing], [], NoHostEnvironment, false)).Message);
    }

    [Fact]
    public void QemuGetsTheQmpSocketAndTheFwCfgFile()
    {
        var args = QemuCommand.BuildArguments(new QemuOptions
        {
            ImagePath = "k", QmpSocketPath = "/run/x,y/qmp.sock", FirmwareConfigFiles = [(BootConfiguration.FirmwareConfigName, "/tmp/a,b/env")],
        }).ToList();
        Assert.Equal("unix:/run/x,,y/qmp.sock,server=on,wait=off", args[args.IndexOf("-qmp") + 1]);
        Assert.Equal("name=opt/uk/env,file=/tmp/a,,b/env", args[args.IndexOf("-fw_cfg") + 1]);
    }
}
