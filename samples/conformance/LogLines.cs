// The log-lines mode: numbered lines on stdout and stderr over some time, for the central-logs tests
// (tests/Unikernel.Integration.Tests/LogShippingTests.cs): a collector must get every one, in order.
using System.Diagnostics;

namespace Conformance;

public static class LogLines
{
    /// <summary>
    /// COUNT lines, one every INTERVAL ms: "log-lines: stdout N" (stderr for every third, "log-lines: stderr N"), every
    /// fifth written in two pieces with a pause in between (a partial line must wait for its newline), and
    /// "log-lines: done" at the end. Exit 0.
    /// </summary>
    public static int Run(int count, int intervalMs)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= count; i++)
        {
            TextWriter writer = i % 3 == 0 ? Console.Error : Console.Out;
            string stream = i % 3 == 0 ? "stderr" : "stdout";
            if (i % 5 == 0)
            {
                writer.Write($"log-lines: {stream} ");
                writer.Flush();
                Thread.Sleep(intervalMs / 2);
                writer.WriteLine($"{i}");
            }
            else writer.WriteLine($"log-lines: {stream} {i}");
            writer.Flush();
            long due = (long)i * intervalMs;
            long wait = due - clock.ElapsedMilliseconds;
            if (wait > 0) Thread.Sleep((int)wait);
        }
        Console.Out.WriteLine("log-lines: done");
        return 0;
    }
}
