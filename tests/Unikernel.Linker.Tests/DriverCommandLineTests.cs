using Unikernel.Linker.Driver;

namespace Unikernel.Linker.Tests;

/// <summary>uk-cc reads what NativeAOT's LinkNative target passes to gcc/clang.</summary>
public class DriverCommandLineTests
{
    // The command line NativeAOT 10 writes for a static, non-PIE console app (from a real publish log).
    private static readonly string[] NativeAotCommand =
    [
        "obj/native/app.o", "-o", "bin/native/app", "-Wl,--version-script=obj/native/app.exports", "-Wl,--export-dynamic",
        "-gz=zlib", "/pack/libSystem.Native.a", "/pack/libbootstrapper.o", "/pack/libRuntime.WorkstationGC.a",
        "-g", "-Wl,--build-id=sha1", "-Wl,--as-needed", "-pthread", "-ldl", "-lrt", "-lm", "-static",
        "-Wl,-z,relro", "-Wl,-z,now", "-Wl,--defsym,__xmknod=mknod", "-Wl,--eh-frame-hdr", "-Wl,--discard-all", "-Wl,--gc-sections",
    ];

    [Fact]
    public void ReadsNativeAotsStaticLinkCommand()
    {
        var c = DriverCommandLine.Parse(NativeAotCommand);
        Assert.Equal("bin/native/app", c.OutputPath);
        Assert.Equal(["obj/native/app.o", "/pack/libSystem.Native.a", "/pack/libbootstrapper.o", "/pack/libRuntime.WorkstationGC.a"], c.Inputs);
        Assert.True(c.GcSections);
        Assert.True(c.BuildId);
        Assert.Equal([("__xmknod", "mknod")], c.Aliases);
        Assert.False(c.StripSymbols);
        Assert.True(DriverCommandLine.Parse([.. NativeAotCommand, "-s"]).StripSymbols);
        Assert.True(DriverCommandLine.Parse([.. NativeAotCommand, "-Wl,--strip-all"]).StripSymbols);
    }

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
