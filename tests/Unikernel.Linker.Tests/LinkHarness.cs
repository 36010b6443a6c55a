using System.Buffers.Binary;
using LibObjectFile.Elf;

namespace Unikernel.Linker.Tests;

/// <summary>A scratch folder per test, plus helpers to link objects in it and inspect the result.</summary>
public sealed class LinkHarness : IDisposable
{
    public LinkHarness()
    {
        Directory = Path.Combine(Path.GetTempPath(), "uk-ld-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }
    public string OutputPath => Path.Combine(Directory, "kernel.elf");
    public string MapPath => Path.Combine(Directory, "kernel.map");

    public string Write(string name, byte[] contents)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, contents);
        return path;
    }

    public string Write(string name, TestObjectBuilder builder) => Write(name, builder.Build());

    public LinkResult Link(params string[] inputs) => LinkWithEntry(LinkOptions.DefaultEntrySymbol, inputs);

    public LinkResult LinkWithEntry(string entry, params string[] inputs) =>
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = OutputPath,
            MapPath = MapPath,
            EntrySymbol = entry,
            InputPaths = inputs,
        });

    /// <summary>AppEmbeddingTests' small app object linked as a static executable, "app" in the scratch folder: the
    /// --app input of image tests.</summary>
    public string LinkStaticApp()
    {
        string output = Path.Combine(Directory, "app");
        Linker.LinkToFiles(new LinkOptions
        {
            OutputPath = output,
            Kind = OutputKind.StaticExecutable,
            BaseAddress = LinkOptions.DefaultExecutableBaseAddress,
            EntrySymbol = LinkOptions.DefaultExecutableEntrySymbol,
            InputPaths = [Write("app.o", AppEmbeddingTests.AppObject())],
        });
        return output;
    }

    /// <summary>Links expecting failure; returns the line uk-ld prints and checks nothing was left behind.</summary>
    public string LinkError(params string[] inputs)
    {
        var error = Assert.Throws<LinkerException>(() => Link(inputs));
        Assert.False(File.Exists(OutputPath), "a failed link must not leave an output file");
        Assert.False(File.Exists(MapPath), "a failed link must not leave a map file");
        Assert.Empty(System.IO.Directory.GetFiles(Directory, "*.tmp"));
        Assert.Empty(System.IO.Directory.GetFiles(Directory, "*.old"));
        string line = "uk-ld: error: " + error.Describe();
        Assert.DoesNotContain('\n', line);
        return line;
    }

    public ElfFile ReadOutput()
    {
        using var stream = File.OpenRead(OutputPath);
        return ElfFile.Read(stream);
    }

    public byte[] OutputBytes => File.ReadAllBytes(OutputPath);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Queries on a linked image, read back with LibObjectFile.</summary>
public static class ImageExtensions
{
    public static ElfSection Section(this ElfFile elf, string name) =>
        elf.Sections.Single(section => section.Name.Value == name);

    public static ElfSymbol Symbol(this ElfFile elf, string name) =>
        elf.Sections.OfType<ElfSymbolTable>().Single().Entries.Single(symbol => symbol.Name.Value == name);

    public static ulong Address(this ElfFile elf, string symbol) => elf.Symbol(symbol).Value;

    /// <summary>Reads bytes at a virtual address through the PT_LOAD that maps it.</summary>
    public static byte[] ReadMemory(this ElfFile elf, byte[] file, ulong address, int length)
    {
        foreach (var segment in elf.Segments)
        {
            if (segment.Type != ElfSegmentTypeCore.Load)
                continue;
            if (address >= segment.VirtualAddress && address + (ulong)length <= segment.VirtualAddress + segment.SizeInMemory)
            {
                var result = new byte[length];
                ulong fileStart = segment.Position + (address - segment.VirtualAddress);
                for (int i = 0; i < length; i++)
                {
                    ulong offsetInSegment = address - segment.VirtualAddress + (ulong)i;
                    result[i] = offsetInSegment < segment.Size ? file[(int)(fileStart + (ulong)i)] : (byte)0;
                }
                return result;
            }
        }
        throw new InvalidOperationException($"0x{address:x} is not mapped");
    }

    public static ulong ReadUInt64(this ElfFile elf, byte[] file, ulong address) =>
        BinaryPrimitives.ReadUInt64LittleEndian(elf.ReadMemory(file, address, 8));

    public static uint ReadUInt32(this ElfFile elf, byte[] file, ulong address) =>
        BinaryPrimitives.ReadUInt32LittleEndian(elf.ReadMemory(file, address, 4));

    public static int ReadInt32(this ElfFile elf, byte[] file, ulong address) =>
        BinaryPrimitives.ReadInt32LittleEndian(elf.ReadMemory(file, address, 4));
}

/// <summary>x86-64 relocation numbers, spelled independently of the linker's own table.</summary>
public static class R
{
    public const uint X86_64_64 = 1;
    public const uint PC32 = 2;
    public const uint PLT32 = 4;
    public const uint GOTPCREL = 9;
    public const uint X86_64_32 = 10;
    public const uint X86_64_32S = 11;
    public const uint TPOFF32 = 23;
    public const uint PC64 = 24;
    public const uint REX_GOTPCRELX = 42;
}
