using Unikernel.Linker;

try
{
    var options = CommandLine.Parse(args);
    if (options is null)
    {
        Console.Out.WriteLine(CommandLine.Usage);
        return 0;
    }
    Linker.LinkToFiles(options);
    return 0;
}
catch (LinkerException error)
{
    Console.Error.WriteLine("uk-ld: error: " + error.Describe());
    return 1;
}
catch (Exception unexpected) when (unexpected is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("uk-ld: error: " + unexpected.Message.ReplaceLineEndings(" "));
    return 1;
}
