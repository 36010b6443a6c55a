using Unikernel.Boot;

// ukboot -o path/boot.o : generates the boot stub object described in docs/boot-abi.md.
// ukboot --floor -o path/floor.o : the benchmarks' trivial kernel (one serial byte, then exit).
// ukboot --glibc-compat -o path/glibc-compat.o : the glibc-only symbols apps on musl need (GlibcCompatShim).
string? outputPath = null;
bool floor = false, glibcCompat = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "-o" && i + 1 < args.Length)
        outputPath = args[++i];
    else if (args[i] == "--floor")
        floor = true;
    else if (args[i] == "--glibc-compat")
        glibcCompat = true;
    else
    {
        Console.Error.WriteLine($"ukboot: unexpected argument '{args[i]}'");
        outputPath = null;
        break;
    }
}
if (outputPath is null)
{
    Console.Error.WriteLine("usage: ukboot [--floor | --glibc-compat] -o path/boot.o");
    return 2;
}

string? temporary = null;
try
{
    var model = floor ? FloorKernel.Build() : glibcCompat ? GlibcCompatShim.Build() : BootStub.Build();
    byte[] image = ElfObjectWriter.Write(model);
    string fullPath = Path.GetFullPath(outputPath);
    Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
    // Write next to the target and rename, so an interrupted run never leaves a truncated boot.o.
    temporary = fullPath + $".tmp{Environment.ProcessId}";
    File.WriteAllBytes(temporary, image);
    File.Move(temporary, fullPath, overwrite: true);
    temporary = null;
    return 0;
}
catch (Exception error)
{
    Console.Error.WriteLine($"ukboot: cannot generate {outputPath}: {error.Message}");
    return 1;
}
finally
{
    if (temporary is not null && File.Exists(temporary))
        File.Delete(temporary);
}
