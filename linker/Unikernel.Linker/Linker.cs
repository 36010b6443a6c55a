using System.Text;
using Unikernel.Linker.Input;
using Unikernel.Linker.Layout;
using Unikernel.Linker.Model;
using Unikernel.Linker.Output;
using Unikernel.Linker.Relocations;

namespace Unikernel.Linker;

public sealed record LinkResult(byte[] Image, string Map, ulong EntryAddress);

/// <summary>Runs the passes in order; each pass only reads what the previous ones produced.</summary>
public static class Linker
{
    public static LinkResult Link(LinkOptions options)
    {
        // 1. Read.
        var files = new List<InputFile>(options.InputPaths.Count);
        for (int i = 0; i < options.InputPaths.Count; i++)
            files.Add(ObjectFileReader.Read(options.InputPaths[i], i));

        // 2. Resolve.
        ComdatGroupFilter.Apply(files);
        var symbols = SymbolResolver.Resolve(files);

        // Synthetic sections whose size is known now.
        var synthetic = new List<InputSection>();
        var kernelSymbols = KernelSymbolTable.Collect(files);
        synthetic.Add(kernelSymbols.Section);
        var got = new GlobalOffsetTable();
        synthetic.Add(got.Section);
        if (CommonSymbolAllocator.Allocate(symbols) is { } common)
            synthetic.Add(common);

        // 3a. Output sections, 4a. linker-defined names, then the relocation scan that needs both.
        var layout = SectionLayout.Build(files, synthetic);
        var linkerSymbols = LinkerDefinedSymbols.Define(symbols, layout);
        RelocationScanner.Scan(files, got);
        if (got.SlotCount == 0)
            layout.Remove(got.Section);

        var entry = symbols.Find(options.EntrySymbol);
        if (entry is null || !entry.IsDefined)
            throw new LinkerException("undefined entry symbol", symbol: options.EntrySymbol);

        // 3b. Addresses, 4b. linker symbol values, generated contents.
        layout.AssignAddresses(options.BaseAddress, ElfImageWriter.HeaderBytes(layout));
        linkerSymbols.AssignValues(layout);
        got.Fill();
        kernelSymbols.Fill();

        // 5. Relocate, 6. write.
        X86_64Relocator.Apply(files, got);
        ulong entryAddress = entry.Address;
        byte[] image = ElfImageWriter.Write(layout, files, symbols, entryAddress);
        string map = LinkMapWriter.Write(layout, files, options.EntrySymbol, entryAddress);
        return new LinkResult(image, map, entryAddress);
    }

    /// <summary>Links and writes the outputs; on failure no output (old or partial) is left behind.</summary>
    public static LinkResult LinkToFiles(LinkOptions options)
    {
        try
        {
            var result = Link(options);
            AtomicFile.Write(options.OutputPath, result.Image);
            if (options.MapPath is not null)
                AtomicFile.Write(options.MapPath, Encoding.UTF8.GetBytes(result.Map));
            return result;
        }
        catch (LinkerException)
        {
            // Like GNU ld: a stale image from an earlier link must not be mistaken for this one's.
            AtomicFile.TryDelete(options.OutputPath);
            if (options.MapPath is not null)
                AtomicFile.TryDelete(options.MapPath);
            throw;
        }
    }
}
