using Unikernel.Linker.Driver;

namespace Unikernel.Linker.Tests;

/// <summary>uk-cc reads what NativeAOT's LinkNative target passes to gcc/clang.</summary>
public class DriverCommandLineTests
{
    // The command line NativeAOT 10 writes for a static, non-PIE console app (from a real publish log; the
    // stack size is there because Unikernel.Linker.targets sets IlcDefaultStackSize).
    private static readonly string[] NativeAotCommand =
    [
        "obj/native/app.o", "-o", "bin/native/app", "-Wl,--version-script=obj/native/app.exports", "-Wl,--export-dynamic",
        "-gz=zlib", "/pack/libSystem.Native.a", "/pack/libbootstrapper.o", "/pack/libRuntime.WorkstationGC.a",
        "-g", "-Wl,--build-id=sha1", "-Wl,--as-needed", "-pthread", "-ldl", "-lrt", "-lm", "-static",
        "-Wl,-z,relro", "-Wl,-z,now", "-Wl,-z,stack-size=1572864", "-Wl,--defsym,__xmknod=mknod", "-Wl,--eh-frame-hdr", "-Wl,--discard-all", "-Wl,--gc-sections",
    ];

    [Fact]
    public void ReadsNativeAotsStaticLinkCommand()
    {
        var c = DriverCommandLine.Parse(NativeAotCommand);
        Assert.Equal("bin/native/app", c.OutputPath);
        Assert.Equal(["obj/native/app.o", "/pack/libSystem.Native.a", "/pack/libbootstrapper.o", "/pack/libRuntime.WorkstationGC.a"], c.Inputs);
        Assert.True(c.GcSections);
        Assert.Equal(Synthetic.BuildIdKind.Sha1, c.BuildId);
        Assert.Equal([("__xmknod", "mknod")], c.Aliases);
        Assert.Equal(1572864UL, c.StackSize);
        Assert.False(c.StripSymbols);
        Assert.True(DriverCommandLine.Parse([.. NativeAotCommand, "-s"]).StripSymbols);
        Assert.True(DriverCommandLine.Parse([.. NativeAotCommand, "-Wl,--strip-all"]).StripSymbols);
    }

    // Unikernel.Sdk.targets passes UnikernelMuslDirectory; without it uk-cc falls back to UK_MUSL_LIBDIR or Debian's path.
    [Fact]
    public void TheMuslDirectoryComesFromTheTargets()
    {
        Assert.Null(DriverCommandLine.Parse(NativeAotCommand).MuslDirectory);
        Assert.Equal("/opt/musl/lib/", DriverCommandLine.Parse([.. NativeAotCommand, "--uk-musl-dir=/opt/musl/lib/"]).MuslDirectory);
        Assert.Equal(["obj/native/app.o", "/pack/libSystem.Native.a", "/pack/libbootstrapper.o", "/pack/libRuntime.WorkstationGC.a"],
            DriverCommandLine.Parse([.. NativeAotCommand, "--uk-musl-dir=/x"]).Inputs);
    }

    [Theory]
    [InlineData("-Wl,-z,stack-size=0x200000", 0x200000UL)]
    [InlineData("-Wl,-zstack-size=65536", 65536UL)]
    [InlineData("-Wl,--gc-sections,-z,stack-size=4096,-z,now", 4096UL)]
    [InlineData("-Wl,-z,stack-size=0", 0UL)]
    public void StackSizeIsPassedThroughAndTheLastOneWins(string flag, ulong expected)
    {
        Assert.Equal(expected, DriverCommandLine.Parse([.. NativeAotCommand, flag]).StackSize);
        Assert.Equal(0UL, DriverCommandLine.Parse(NativeAotCommand.Where(a => !a.Contains("stack-size")).ToArray()).StackSize);
    }

    [Theory]
    [InlineData("-Wl,-z,relro")]
    [InlineData("-Wl,-z,norelro")]
    [InlineData("-Wl,-z,now")]
    [InlineData("-Wl,-z,lazy")]
    [InlineData("-Wl,-znoexecstack")]
    public void ZKeywordsWithoutMeaningForAStaticExecutableAreIgnored(string flag)
    {
        var c = DriverCommandLine.Parse([.. NativeAotCommand, flag]);
        Assert.Equal(1572864UL, c.StackSize);
        Assert.Equal(DriverCommandLine.Parse(NativeAotCommand).Inputs, c.Inputs);
    }

    [Theory]
    [InlineData("-Wl,-z,stack-size=1.5M", "invalid -z stack-size value '1.5M' in '-Wl,-z,stack-size=1.5M'")]
    [InlineData("-Wl,-z,stack-size=", "invalid -z stack-size value '' in '-Wl,-z,stack-size='")]
    [InlineData("-Wl,-z,stack-size=-1", "invalid -z stack-size value '-1'")]
    [InlineData("-Wl,-z,stack-size=010", "invalid -z stack-size value '010'")]
    [InlineData("-Wl,-z,execstack", "unsupported linker flag '-z execstack' (in '-Wl,-z,execstack')")]
    [InlineData("-Wl,-z,max-page-size=16384", "unsupported linker flag '-z max-page-size=16384'")]
    [InlineData("-Wl,-z", "unsupported linker flag '-Wl,-z'")]
    public void BadStackSizesAndOtherZKeywordsAreNamed(string flag, string message)
        => Assert.Contains(message, Assert.Throws<DriverException>(() => DriverCommandLine.Parse([.. NativeAotCommand, flag])).Message);

    [Theory]
    [InlineData("-pie", "PositionIndependentExecutable=false")]
    [InlineData("-shared", "StaticExecutable=true")]
    [InlineData("-static-pie", "PositionIndependentExecutable=false")]
    [InlineData("-Wl,-pie", "PositionIndependentExecutable=false")]
    public void OutputKindsWeDoNotMakeAreErrorsThatSayWhatToSet(string flag, string advice)
    {
        var e = Assert.Throws<DriverException>(() => DriverCommandLine.Parse([.. NativeAotCommand, flag]));
        Assert.Contains(flag, e.Message);
        Assert.Contains(advice, e.Message);
    }

    [Fact]
    public void ADynamicLinkIsAnError()
    {
        var e = Assert.Throws<DriverException>(() => DriverCommandLine.Parse(NativeAotCommand.Where(a => a != "-static").ToArray()));
        Assert.Contains("StaticExecutable=true", e.Message);
    }

    [Theory]
    [InlineData("-lssl", "library '-lssl' is not available")]
    [InlineData("-Wl,--wrap=malloc", "unsupported linker flag '-Wl,--wrap=malloc'")]
    [InlineData("-fsanitize=address", "unsupported option '-fsanitize=address'")]
    [InlineData("-Wl,--defsym,broken", "malformed --defsym 'broken'")]
    public void UnknownOrUnsupportedInputsAreNamed(string flag, string message)
        => Assert.Contains(message, Assert.Throws<DriverException>(() => DriverCommandLine.Parse([.. NativeAotCommand, flag])).Message);

    [Fact]
    public void MissingOutputIsAnError()
        => Assert.Contains("no output file", Assert.Throws<DriverException>(() => DriverCommandLine.Parse(["a.o", "-static"])).Message);
}
