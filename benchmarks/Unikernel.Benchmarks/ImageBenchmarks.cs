using BenchmarkDotNet.Attributes;
using Unikernel.Benchmarks.Comparison;
using Unikernel.Linker;

namespace Unikernel.Benchmarks;

/// <summary>
/// The in-process steps that make bootable images, for both sides of `make bench`'s comparison: our image
/// writer (uk-ld linking boot.o + kernel.o with the hello app embedded, as `make images` does, in memory),
/// and what the benchmark does to boot Linux the same way (the vmlinux extracted from Debian's bzImage with
/// our LZ4 decoder; the initramfs written as newc cpio + gzip). Inputs come from `make build` and a
/// `make bench` run (artifacts/bench/linux). `dotnet run -c Release --project benchmarks/Unikernel.Benchmarks -- image`.
/// </summary>
[MemoryDiagnoser]
public class ImageBenchmarks
{
    private LinkOptions _image = null!;
    private byte[] _bzImage = null!;
    private byte[] _init = null!, _app = null!;

    [GlobalSetup]
    public void Load()
    {
        string root = Program.FindRoot();
        string artifacts = Path.Combine(root, "artifacts");
        string app = Path.Combine(artifacts, "apps", "hello", "hello");
        _image = Unikernel.Linker.CommandLine.Parse(["-o", Path.Combine(artifacts, "bench", "hello-bench.img"), "--app", app,
                                    Path.Combine(artifacts, "boot", "boot.o"), Path.Combine(artifacts, "kernel", "kernel.o")])
                 ?? throw new InvalidOperationException("uk-ld rejected the image command line");
        string linux = Path.Combine(artifacts, "bench", "linux");
        string bzImage = Directory.Exists(linux) ? Directory.GetFiles(linux, "vmlinuz-*", SearchOption.AllDirectories).FirstOrDefault() ?? "" : "";
        string init = Path.Combine(linux, "init", "init");
        if (!File.Exists(bzImage) || !File.Exists(init))
            throw new FileNotFoundException($"no Linux kernel or /init under {linux}: run `make bench` (or `... -- compare`) once");
        _bzImage = File.ReadAllBytes(bzImage);
        _init = File.ReadAllBytes(init);
        _app = File.ReadAllBytes(app);
    }

    [Benchmark(Description = "our image: uk-ld boot.o kernel.o --app hello (in memory)")]
    public LinkResult LinkHelloImage() => Unikernel.Linker.Linker.Link(_image);

    [Benchmark(Description = "Linux: vmlinux from the bzImage (LZ4, 53 MB out)")]
    public byte[] ExtractVmlinux() => BzImage.ExtractVmlinux(_bzImage);

    [Benchmark(Description = "Linux: initramfs for hello (cpio + gzip)")]
    public byte[] HelloInitramfs() => new Cpio().Directory("dev").CharacterDevice("dev/console", 5, 1)
        .File("init", _init, 0x1ed).File("app", _app, 0x1ed).ToGzip();
}
