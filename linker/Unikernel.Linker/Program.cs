using Unikernel.Linker;

try
{
    if (args.Length > 0 && args[0] == DiskMode.Flag) return DiskMode.Run(args);
    var options = CommandLine.Parse(args);
    if (options is null)
    {
        Console.Out.WriteLine(CommandLine.Usage);
        return 0;
    }
    // A link is one short burst of allocation in which almost everything stays alive to the end: a collection
    // only copies live objects around (a tenth of a small link's time). So the process asks for none; should
    // a huge link outgrow the budget, the runtime simply collects as usual.
    try
    {
        GC.TryStartNoGCRegion(NoCollectionBudget);
    }
    catch (ArgumentOutOfRangeException)
    {
        // The budget is larger than this runtime's ephemeral space: collect as usual.
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
    Console.Error.WriteLine("uk-ld: error: " + MessageText.Escape(unexpected.Message));
    return 1;
}
catch (OutOfMemoryException)
{
    // An image is built in memory: a huge (if valid) one can need more than the machine has.
    Console.Error.WriteLine("uk-ld: error: out of memory while linking (the image is built in memory before it is written)");
    return 1;
}
catch (Exception bug)
{
    // Every bad input is meant to end as a LinkerException above (the mutation fuzz test holds the linker to that);
    // should one still slip through, the user gets one line saying so, not a runtime stack dump (exit 134).
    Console.Error.WriteLine($"uk-ld: internal error: {bug.GetType().Name}: {MessageText.Escape(bug.Message)} " +
        "(a uk-ld bug: please report it with the inputs)");
    return 70;
}

internal static partial class Program
{
    private const long NoCollectionBudget = 240L << 20;
}
