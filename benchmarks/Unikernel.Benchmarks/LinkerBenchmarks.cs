using BenchmarkDotNet.Attributes;
using Unikernel.Linker.Resolution;
using Unikernel.Linker;
using Unikernel.Linker.Input;
using Unikernel.Linker.Model;

namespace Unikernel.Benchmarks;

/// <summary>
/// The linker's in-process passes on the samples/hello link (the inputs its NativeAOT publish used, as
/// benchmarks/link/link-time.sh derives them): reading the inputs, resolving symbols, and the whole
/// link in memory (no file is written). `dotnet run -c Release --project benchmarks/Unikernel.Benchmarks -- linker`.
/// </summary>
[MemoryDiagnoser]
public class LinkerBenchmarks
{
    private LinkOptions _options = null!;
    private IReadOnlyList<LinkUnit> _units = null!;
    private List<InputFile> _files = null!;

    [GlobalSetup]
    public void LoadOptions() => _options = LinkInputs.Hello(Program.FindRoot());

    /// <summary>Resolution mutates the model (liveness, symbol bindings), so it gets freshly read inputs.</summary>
    [IterationSetup(Target = nameof(Resolve))]
    public void ReadForResolve()
    {
        _units = LinkUnit.Of(_options);
        _files = InputLoader.Load(_options, _units);
    }

    [Benchmark]
    public List<InputFile> ReadInputs() => InputLoader.Load(_options, LinkUnit.Of(_options));

    [Benchmark]
    public SymbolTable Resolve()
    {
        ComdatGroupFilter.Apply(_files);
        var symbols = SymbolResolver.Resolve(_files, _units);
        UnitExports.Bind(_files, symbols);
        return symbols;
    }

    [Benchmark]
    public LinkResult Link() => Unikernel.Linker.Linker.Link(_options);
}
