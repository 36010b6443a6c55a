// Console (standard output and error), arguments, environment variables and what the process knows
// about its platform.
using System.Globalization;
using System.Runtime.InteropServices;

namespace Conformance;

public static class Basics
{
    public static void ConsoleOutput()
    {
        Report.Line("console", "hello from the conformance app");
        Console.Write("console: written ");
        Console.Write("in three ");
        Console.WriteLine("pieces");
        Console.Out.WriteLine("console: formatted [{0,5}|{1,-5}|{2}]", 42, "ab", 'c');
        Report.Line("console", "unicode héllo wörld ✓ ∑ 日本語");
        Console.Error.WriteLine("stderr: this line goes to standard error");
        Console.Error.Flush();
        Report.Line("console", "one line was written to standard error");
        Console.Out.Flush();
    }

    public static void Arguments(string[] args)
    {
        Report.Line("args", $"count {args.Length}");
        Report.Line("args", "[" + string.Join(", ", args) + "]");
        Report.Line("args", $"Environment.GetCommandLineArgs has the program first: {Environment.GetCommandLineArgs().Length == args.Length + 1}");
    }

    public static void EnvironmentVariables()
    {
        Report.Line("env", "CONFORMANCE_MODE=" + (Environment.GetEnvironmentVariable("CONFORMANCE_MODE") ?? "(unset)"));
        Report.Line("env", "unset variable is null: " + (Environment.GetEnvironmentVariable("CONFORMANCE_SURELY_UNSET_VARIABLE") == null));
        Environment.SetEnvironmentVariable("CONFORMANCE_SET_BY_APP", "value 1");
        Report.Line("env", "set and read back: " + Environment.GetEnvironmentVariable("CONFORMANCE_SET_BY_APP"));
        Environment.SetEnvironmentVariable("CONFORMANCE_SET_BY_APP", null);
        Report.Line("env", "removed: " + (Environment.GetEnvironmentVariable("CONFORMANCE_SET_BY_APP") == null));
        Report.Line("env", "GetEnvironmentVariables has CONFORMANCE_MODE: " +
                           Environment.GetEnvironmentVariables().Contains("CONFORMANCE_MODE"));
    }

    public static void Platform()
    {
        Report.Line("platform", $"64-bit process: {Environment.Is64BitProcess}");
        Report.Line("platform", $"is Linux: {OperatingSystem.IsLinux()}");
        Report.Line("platform", $"process architecture: {RuntimeInformation.ProcessArchitecture}");
        Report.Line("platform", $"process path non-null: {Environment.ProcessPath != null}");
        Report.Line("platform", $"process id > 0: {Environment.ProcessId > 0}");
        Report.Line("platform", $"processors >= 1: {Environment.ProcessorCount >= 1}");
        Report.Line("platform", $"current culture is invariant: {CultureInfo.CurrentCulture.Name == ""}");
        Report.Line("platform", $"new line is LF: {Environment.NewLine == "\n"}");
        Report.EnvSpecific("processors", Environment.ProcessorCount);
        Report.EnvSpecific("process path", Environment.ProcessPath);
        Report.EnvSpecific("os", RuntimeInformation.OSDescription);
    }
}
