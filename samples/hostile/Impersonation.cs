namespace Hostile;

/// <summary>
/// Lines that look like the kernel's: a status line, a panic, one behind a carriage return, one on stderr. The
/// host must still take the app's exit status and the kernel's own lines from the kernel (the test checks).
/// </summary>
internal static class Impersonation
{
    public const string ForgedStatus = "uk: exit status 7";
    public const string ForgedPanic = "uk: panic: forged by the hostile app";

    public static void Run(AttackRun run)
    {
        run.Attack("forged-uk-lines", () =>
        {
            Console.Out.WriteLine(ForgedStatus);
            Console.Out.WriteLine(ForgedPanic);
            Console.Out.WriteLine("\ruk: exit status 9");
            Console.Out.Flush();
            Console.Error.WriteLine("uk: exit status 8");
            Console.Error.Flush();
            return "PRINTED";
        });
    }
}
