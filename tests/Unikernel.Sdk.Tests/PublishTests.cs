using System.Buffers.Binary;
using System.Diagnostics;
using Unikernel.Linker.Synthetic;

namespace Unikernel.Sdk.Tests;

/// <summary>Fixtures/ImageApp, an ordinary console app with the package reference, copied outside the repository and
/// published once with the user's command: `dotnet publish -c Release -p:PublishUnikernel=true`.</summary>
public sealed class PublishedImageApp : IDisposable
{
    public string Scratch { get; } = Path.Combine(Path.GetTempPath(), "uk-sdk-tests", Guid.NewGuid().ToString("N"));
    public string Project { get; }
    public SdkPackage.Result First { get; }
    public byte[] FirstImage { get; }

    public PublishedImageApp()
    {
        Project = SdkPackage.CopyFixture("ImageApp", Scratch);
        First = SdkPackage.Publish(Project, "-p:PublishUnikernel=true");
        FirstImage = File.Exists(Image) ? File.ReadAllBytes(Image) : [];
    }

    public string ProjectDirectory => Path.GetDirectoryName(Project)!;
    public string PublishDirectory => Path.Combine(ProjectDirectory, "bin", "Release", "net10.0", "linux-x64", "publish");
    public string Image => Path.Combine(PublishDirectory, "ImageApp.img");
    public string Executable => Path.Combine(PublishDirectory, "ImageApp");

    public void Dispose()
    {
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { }
    }
}

public class PublishTests(PublishedImageApp app) : IClassFixture<PublishedImageApp>
{
    private static ImageInfo.Contents Info(byte[] image) => ImageInfo.Read(image.AsSpan(ImageInfo.Locate(image)!.Value.Offset));

    [Fact]
    public void PublishMakesTheImageAndItsMapNextToTheStaticExecutable()
    {
        Assert.True(app.First.ExitCode == 0, app.First.ToString());
        // Progress lines like dotnet publish's own, the image's after the publish folder's.
        Assert.Contains($"ImageApp -> {app.PublishDirectory}/\n", app.First.Output);
        Assert.Contains($"ImageApp -> {app.Image}\n", app.First.Output);
        Assert.True(File.Exists(app.Image + ".map"));

        // The executable is the static musl one the image carries, and runs on Linux as it is.
        byte[] executable = File.ReadAllBytes(app.Executable);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(executable.AsSpan(16))); // ET_EXEC
        Assert.DoesNotContain(3u, PackageContentsTests.ProgramHeaderTypes(executable)); // no PT_INTERP
        var run = Process.Start(new ProcessStartInfo(app.Executable, ["a", "b"]) { RedirectStandardOutput = true })!;
        string stdout = run.StandardOutput.ReadToEnd();
        run.WaitForExit();
        Assert.Equal(("ImageApp: [a, b]\n", 2), (stdout, run.ExitCode));

        // uk_image_info: the project's name and version, the package's kernel objects and the executable by hash.
        var info = Info(app.FirstImage);
        Assert.Equal(("ImageApp", "2.3.4"), (info.Name, info.Version));
        Assert.Equal(["boot.o", "kernel.o", "ImageApp"], info.Inputs.Select(i => i.Name));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(executable), info.Inputs[2].Sha256);
        using (var package = SdkPackage.OpenPackage())
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(PackageContentsTests.Bytes(package, "kernel/kernel.o")), info.Inputs[1].Sha256);
        long field = ImageInfo.Locate(app.FirstImage)!.Value.Offset + ImageInfo.HashOffset;
        Assert.Equal(info.ImageSha256, ImageInfo.ComputeImageHash(app.FirstImage, field));
        Assert.Contains($"image-info\tImageApp\t2.3.4\t{Convert.ToHexStringLower(info.ImageSha256)}", File.ReadAllLines(app.Image + ".map"));
    }

    // UnikernelEnvironment items reach the image as the kernel's environment block at /etc/uk/environ (uk-ld --env-file),
    // which uk_files stores as it is.
    [Fact]
    public void EnvironmentItemsBecomeTheImagesDefaultEnvironment()
    {
        Assert.True(app.First.ExitCode == 0, app.First.ToString());
        byte[] block = System.Text.Encoding.UTF8.GetBytes("ImageApp.Mode=from the project; a=b\0");
        Assert.True(app.FirstImage.AsSpan().IndexOf(block) >= 0, "the image holds no environment block with ImageApp.Mode");
    }

    // One sequence, since each step builds on the last: an unchanged publish links nothing, a changed input relinks the
    // image only (and changes its hash), and a publish from scratch gives the first image again, byte for byte.
    [Fact]
    public void RepublishingIsIncrementalAChangedInputChangesTheHashAndTheSameInputsGiveTheSameBytes()
    {
        Assert.True(app.First.ExitCode == 0, app.First.ToString());
        DateTime executableTime = File.GetLastWriteTimeUtc(app.Executable);

        var again = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"ImageApp -> {app.Image}\n", again.Output);
        Assert.Equal(app.FirstImage, File.ReadAllBytes(app.Image));
        Assert.Equal(executableTime, File.GetLastWriteTimeUtc(app.Executable));
        DateTime imageTime = File.GetLastWriteTimeUtc(app.Image);

        var otherVersion = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", "-p:UnikernelAppVersion=9.9.9");
        Assert.True(otherVersion.ExitCode == 0, otherVersion.ToString());
        byte[] relinked = File.ReadAllBytes(app.Image);
        Assert.Equal("9.9.9", Info(relinked).Version);
        Assert.NotEqual(Info(app.FirstImage).ImageSha256, Info(relinked).ImageSha256);
        Assert.NotEqual(imageTime, File.GetLastWriteTimeUtc(app.Image));
        Assert.Equal(executableTime, File.GetLastWriteTimeUtc(app.Executable)); // NativeAOT had nothing to redo

        Directory.Delete(Path.Combine(app.ProjectDirectory, "bin"), recursive: true);
        Directory.Delete(Path.Combine(app.ProjectDirectory, "obj"), recursive: true);
        var fromScratch = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true");
        Assert.True(fromScratch.ExitCode == 0, fromScratch.ToString());
        Assert.True(app.FirstImage.AsSpan().SequenceEqual(File.ReadAllBytes(app.Image)), "the same inputs gave a different image");
    }

    [Fact]
    public void WithoutMuslTheErrorSaysToInstallMuslDev()
    {
        var result = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", "-p:UnikernelMuslDirectory=/nonexistent/musl");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error UK1011: musl's libc.a was not found in /nonexistent/musl/: install musl-dev (apt-get install musl-dev)", result.Output);
    }

    [Fact]
    public void AMissingCaBundleIsAnError()
    {
        var result = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", "-p:UnikernelCaCertificates=true",
            "-p:UnikernelCaBundle=/nonexistent/ca.pem");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error UK1051: UnikernelCaCertificates is true and the CA bundle '/nonexistent/ca.pem' does not exist", result.Output);
    }

    [Fact]
    public void AMissingStaticOpenSslIsAnError()
    {
        var result = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", "-p:UnikernelOpenSslDirectory=/nonexistent/openssl",
            $"-p:PublishDir={Path.Combine(app.Scratch, "no-openssl-publish")}/");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error UK1050: The static OpenSSL library '/nonexistent/openssl/libSystem.Security.Cryptography.Native.OpenSsl.a' is missing", result.Output);
    }

    [Fact]
    public void AnotherRuntimeIdentifierIsAnError()
    {
        var result = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", "-r", "linux-arm64");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error UK1001: Unikernel images run linux-x64 (x86-64) executables, and this publish targets 'linux-arm64'", result.Output);
    }

    [Fact]
    public void ALinkErrorIsAnMSBuildErrorWithTheLinkersMessage()
    {
        // A kernel object that is not one: uk-ld refuses it, and the publish fails naming the file.
        string bogus = Path.Combine(app.Scratch, "not-a-kernel.o");
        File.WriteAllText(bogus, "not an ELF object");
        var result = SdkPackage.Publish(app.Project, "-p:PublishUnikernel=true", $"-p:UnikernelKernelObject={bogus}",
            $"-p:PublishDir={Path.Combine(app.Scratch, "bad-publish")}/");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches(@"error UK1020: Linking the image .*bad-publish/ImageApp\.img failed: uk-ld: error: .*not-a-kernel\.o", result.Output);
        Assert.False(File.Exists(Path.Combine(app.Scratch, "bad-publish", "ImageApp.img")));
    }

    [Fact]
    public void WithoutPublishUnikernelThePackageChangesNothing()
    {
        var result = SdkPackage.Publish(app.Project, $"-p:PublishDir={Path.Combine(app.Scratch, "plain-publish")}/");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(app.Scratch, "plain-publish", "ImageApp.dll")));
        Assert.Empty(Directory.GetFiles(Path.Combine(app.Scratch, "plain-publish"), "*.img"));
        Assert.DoesNotContain("error", result.Output);
    }
}
