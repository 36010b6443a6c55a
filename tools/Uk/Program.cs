using Unikernel.Tools.Cli;

namespace Unikernel.Tools;

public static class Program
{
    public static int Main(string[] args) => UkCommandLine.Invoke(args);
}
