using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

// Each line is deterministic so that two links of the same app can be compared byte for byte.
var results = new int[4];
var threads = Enumerable.Range(0, 4).Select(i => new Thread(() => results[i] = Enumerable.Range(0, 1000 * (i + 1)).Sum())).ToList();
threads.ForEach(t => t.Start());
threads.ForEach(t => t.Join());
Console.WriteLine("threads: " + string.Join(",", results));

int fromTasks = (await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => i * i)))).Sum();
Console.WriteLine($"tasks: {fromTasks}");
await Task.Delay(10);
Console.WriteLine("after Task.Delay");

Console.WriteLine($"generics: {Pair.Of(3, "three")} {Pair.Of(2.5, 'x')}");
var words = new[] { "delta", "alpha", "charlie", "bravo" };
Console.WriteLine("linq: " + string.Join(" ", words.OrderBy(w => w).Where(w => w.Length > 4).Select(w => w.ToUpperInvariant())));

var person = new Person("Ada", 36, ["math", "engines"]);
string json = JsonSerializer.Serialize(person, AppJson.Default.Person);
Console.WriteLine("json: " + json);
Console.WriteLine("json back: " + JsonSerializer.Deserialize(json, AppJson.Default.Person));

try { Thrower.Level1(); }
catch (InvalidOperationException e)
{
    Console.WriteLine($"caught: {e.Message}");
    // Frames come from the runtime's unwinder walking .eh_frame through PT_GNU_EH_FRAME.
    var frames = new System.Diagnostics.StackTrace(e).GetFrames()
        .Select(f => System.Diagnostics.DiagnosticMethodInfo.Create(f)?.Name).Where(n => n is not null);
    Console.WriteLine("stack: " + string.Join(" <- ", frames));
}

try { Nulls.Length(null); }
catch (NullReferenceException) { Console.WriteLine("NullReferenceException from a hardware fault"); }

GC.Collect();
Console.WriteLine("done");
return 42;

record Person(string Name, int Age, string[] Tags);

[JsonSerializable(typeof(Person))]
partial class AppJson : JsonSerializerContext { }

static class Pair
{
    public static (T1, T2) Of<T1, T2>(T1 a, T2 b) => (a, b);
}

static class Thrower
{
    [MethodImpl(MethodImplOptions.NoInlining)] public static void Level1() => Level2();
    [MethodImpl(MethodImplOptions.NoInlining)] public static void Level2() => throw new InvalidOperationException("from Level2");
}

static class Nulls
{
    [MethodImpl(MethodImplOptions.NoInlining)] public static int Length(string? s) => s!.Length;
}
