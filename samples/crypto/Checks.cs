namespace CryptoSample;

/// <summary>Prints one line per check, "name: ok detail" or "name: FAILED why", and counts the failures.</summary>
sealed class Checks
{
    public int Count { get; private set; }
    public int Failed { get; private set; }

    public void Expect(string name, string actual, string expected)
    {
        if (actual == expected) Pass(name, actual);
        else Fail(name, $"got {actual}, expected {expected}");
    }

    public void Expect(string name, bool condition, string detail)
    {
        if (condition) Pass(name, detail);
        else Fail(name, detail);
    }

    // An exception in one family is a failure of that check, and the others still run.
    public void Run(string name, Action<Checks> body)
    {
        try { body(this); }
        catch (Exception e) { Fail(name, $"{e.GetType().Name}: {e.Message}"); }
    }

    public async Task RunAsync(string name, Func<Checks, Task> body)
    {
        try { await body(this); }
        catch (Exception e) { Fail(name, $"{e.GetType().Name}: {e.Message}"); }
    }

    private void Pass(string name, string detail)
    {
        Count++;
        Console.WriteLine($"{name}: ok {detail}");
    }

    private void Fail(string name, string why)
    {
        Count++;
        Failed++;
        Console.WriteLine($"{name}: FAILED {why}");
    }
}
