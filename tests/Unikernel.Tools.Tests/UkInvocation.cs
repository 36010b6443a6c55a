using Unikernel.Tools.Cli;

namespace Unikernel.Tools.Tests;

/// <summary>`uk ARGS` in-process, as the tests' one way to run the command line: its status and what it printed.</summary>
public static class UkInvocation
{
    public static (int Status, string Out, string Error) Uk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int status = UkCommandLine.Invoke(args, UkConsole.Plain(output, error));
        return (status, output.ToString(), error.ToString());
    }
}
