// The base class library: collections, LINQ, StringBuilder and string operations, formatting and parsing
// in the invariant culture, source-generated System.Text.Json, regular expressions, Random.
using System.Globalization;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Conformance;

public sealed record LineItem(string Name, int Quantity, decimal Price);

public sealed record Order(int Id, string Customer, List<LineItem> Items, bool Paid, DateTime Placed)
{
    public string? Note { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Dictionary<string, int[]>))]
public sealed partial class ConformanceJsonContext : JsonSerializerContext;

public static partial class Library
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Collections()
    {
        var squares = new Dictionary<int, string>();
        for (int i = 0; i < 1000; i++) squares[i] = (i * i).ToString(Inv);
        for (int i = 0; i < 1000; i += 2) squares.Remove(i);
        Report.Line("collections", $"Dictionary after removing evens: count {squares.Count}, sum of keys {squares.Keys.Sum()}, [999] = {squares[999]}, has 500: {squares.ContainsKey(500)}");

        var words = "the quick brown fox jumps over the lazy dog the end".Split(' ');
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var w in words) counts[w] = counts.TryGetValue(w, out int c) ? c + 1 : 1;
        Report.Line("collections", $"word counts in insertion order: {string.Join(" ", counts.Select(p => p.Key + "=" + p.Value))}");

        var sorted = new SortedDictionary<string, int>(counts, StringComparer.Ordinal);
        Report.Line("collections", $"SortedDictionary keys: {string.Join(",", sorted.Keys)}");

        var set = new HashSet<int>(Enumerable.Range(0, 50));
        set.IntersectWith(Enumerable.Range(25, 50));
        Report.Line("collections", $"HashSet intersect count {set.Count}, min {set.Min()}, max {set.Max()}");

        var pq = new PriorityQueue<string, int>();
        pq.Enqueue("c", 3); pq.Enqueue("a", 1); pq.Enqueue("d", 4); pq.Enqueue("b", 2);
        var drained = new List<string>();
        while (pq.TryDequeue(out var item, out _)) drained.Add(item);
        Report.Line("collections", $"PriorityQueue order: {string.Join("", drained)}");

        var list = new List<int> { 5, 3, 9, 1, 7 };
        list.Sort();
        list.Insert(2, 4);
        list.Reverse();
        Report.Line("collections", $"List sort/insert/reverse: {string.Join(",", list)}, BinarySearch of 7 in ascending copy: {list.Order().ToList().BinarySearch(7)}");

        var stack = new Stack<char>("abc");
        var queue = new Queue<char>("abc");
        Report.Line("collections", $"Stack pops {stack.Pop()}{stack.Pop()}, Queue dequeues {queue.Dequeue()}{queue.Dequeue()}");

        var rng = new Random(7);
        var numbers = Enumerable.Range(0, 10_000).Select(_ => rng.Next(1_000_000)).ToArray();
        Array.Sort(numbers);
        bool ascending = true;
        for (int i = 1; i < numbers.Length; i++) ascending &= numbers[i - 1] <= numbers[i];
        Report.Line("collections", $"Array.Sort of 10000 seeded numbers ascending: {ascending}, first {numbers[0]}, last {numbers[^1]}");

        Span<int> span = stackalloc int[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        span.Reverse();
        var big = new byte[100_000];
        big[77_777] = 0xAB;
        Report.Line("collections", $"Span reverse {string.Join("", span.ToArray())}, IndexOf in 100000 bytes: {big.AsSpan().IndexOf((byte)0xAB)}, vector sum: {Vector128.Sum(Vector128.Create(1, 2, 3, 4))}");
    }

    public static void Linq()
    {
        var range = Enumerable.Range(1, 100);
        Report.Line("linq", $"sum of squares of evens 1..100 = {range.Where(i => i % 2 == 0).Select(i => i * i).Sum()}");
        Report.Line("linq", $"group by i % 3: {string.Join(" ", range.GroupBy(i => i % 3).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"))}");
        Report.Line("linq", $"top 3 descending: {string.Join(",", range.OrderByDescending(i => i).Take(3))}");
        Report.Line("linq", $"aggregate product 1..10 = {Enumerable.Range(1, 10).Aggregate(1L, (a, b) => a * b)}");
        Report.Line("linq", $"zip: {string.Join(",", new[] { "a", "b", "c" }.Zip(new[] { 1, 2, 3 }, (s, n) => s + n))}");
        Report.Line("linq", $"distinct/count/any/all: {new[] { 1, 1, 2, 3, 3, 3 }.Distinct().Count()} {range.Any(i => i > 99)} {range.All(i => i > 0)}");
        var lookup = new[] { "apple", "avocado", "banana", "blueberry", "cherry" }.ToLookup(s => s[0]);
        Report.Line("linq", $"lookup b: {string.Join(",", lookup['b'])}");
        Report.Line("linq", $"chunk sizes: {string.Join(",", range.Chunk(30).Select(c => c.Length))}");
        Report.Line("linq", $"join: {string.Join(",", new[] { 1, 2, 3 }.Join(new[] { (1, "one"), (3, "three") }, i => i, p => p.Item1, (i, p) => p.Item2))}");
        Report.Line("linq", $"min/max/average: {range.Min()} {range.Max()} {range.Average().ToString(Inv)}");
    }

    [GeneratedRegex(@"(\w+)@(\w+)\.com")]
    private static partial Regex EmailPattern();

    public static void Text()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 10; i++) sb.Append(i).Append(',');
        sb.Length--;
        sb.Insert(0, "[").Append(']').Replace(",", ";");
        sb.AppendLine().AppendFormat(Inv, "{0:F3}", 2.5).Append('!', 3);
        Report.Line("text", $"StringBuilder: {sb.ToString().Replace("\n", "\\n")} (length {sb.Length})");

        string s = "  Hello, World! Hello again.  ";
        Report.Line("text", $"trim/upper/lower: '{s.Trim()}' '{s.Trim().ToUpperInvariant()}' '{s.Trim().ToLowerInvariant()}'");
        Report.Line("text", $"IndexOf/LastIndexOf/Contains: {s.IndexOf("Hello", StringComparison.Ordinal)} {s.LastIndexOf("Hello", StringComparison.Ordinal)} {s.Contains("World", StringComparison.Ordinal)}");
        Report.Line("text", $"Split/Join: {string.Join("|", "a,b,,c".Split(','))} / {string.Join("|", "a,b,,c".Split(',', StringSplitOptions.RemoveEmptyEntries))}");
        Report.Line("text", $"Replace/Substring/PadLeft: {s.Trim().Replace("Hello", "Bye")} {s.Trim().Substring(7, 5)} [{"7".PadLeft(3, '0')}]");
        Report.Line("text", $"ordinal compare: {string.CompareOrdinal("apple", "banana") < 0} {string.Equals("ABC", "abc", StringComparison.OrdinalIgnoreCase)}");
        Report.Line("text", $"non-ASCII casing: {"héllo wörld".ToUpperInvariant()} {"ÄÖÜ".ToLowerInvariant()}");
        string unicode = "日本語 ✓ é";
        byte[] utf8 = Encoding.UTF8.GetBytes(unicode);
        Report.Line("text", $"UTF-8 round trip: {utf8.Length} bytes, {Encoding.UTF8.GetString(utf8) == unicode}, UTF-16 length {unicode.Length}");
        Report.Line("text", $"Base64: {Convert.ToBase64String(Encoding.ASCII.GetBytes("conformance"))}, hex: {Convert.ToHexString(new byte[] { 1, 0xAB, 0xFF })}");
        var matches = EmailPattern().Matches("alice@example.com, bob@test.com and nobody@nowhere.org");
        Report.Line("text", $"regex matches: {string.Join(",", matches.Select(m => m.Groups[1].Value + "/" + m.Groups[2].Value))}");
        Report.Line("text", $"interpreted regex: {Regex.Replace("a1b22c333", "[0-9]+", m => m.Value.Length.ToString(Inv))}");
        Report.Line("text", $"string.Create: {string.Create(5, 'z', (span, c) => span.Fill(c))}, Concat: {string.Concat(Enumerable.Repeat("ab", 3))}");
    }

    public static void Formatting()
    {
        Report.Line("format", $"N2: {1234567.891.ToString("N2", Inv)}");
        Report.Line("format", $"0.1 + 0.2 = {(0.1 + 0.2).ToString("R", Inv)}; pi = {Math.PI.ToString(Inv)}; 1/3f = {(1f / 3f).ToString(Inv)}");
        Report.Line("format", $"X4/x/D6: {255.ToString("X4", Inv)} {48879.ToString("x", Inv)} {(-42).ToString("D6", Inv)}");
        Report.Line("format", $"P1/E3/F0/C: {0.125.ToString("P1", Inv)} {12345.678.ToString("E3", Inv)} {2.5.ToString("F0", Inv)} {3.5.ToString("F0", Inv)} {9.99m.ToString("C", Inv)}");
        Report.Line("format", $"decimal 1/3 = {(1m / 3m).ToString(Inv)}; 0.1m * 3 = {(0.1m * 3).ToString(Inv)}");
        var moment = new DateTime(2024, 2, 29, 13, 45, 30, 123, DateTimeKind.Utc);
        Report.Line("format", $"DateTime o/R/s/custom: {moment.ToString("o", Inv)} | {moment.ToString("R", Inv)} | {moment.ToString("s", Inv)} | {moment.ToString("dddd d MMMM yyyy HH:mm", Inv)}");
        Report.Line("format", $"DateTime arithmetic: {moment.AddDays(1).ToString("yyyy-MM-dd", Inv)} day of year {moment.DayOfYear}, {(new DateTime(2025, 1, 1) - new DateTime(2024, 1, 1)).TotalDays} days in 2024");
        Report.Line("format", $"TimeSpan: {new TimeSpan(1, 2, 3, 4, 567).ToString("c", Inv)} {TimeSpan.FromMinutes(90).ToString(@"hh\:mm", Inv)}");
        Report.Line("format", $"parse: {double.Parse("1.5e-3", Inv).ToString(Inv)} {int.Parse("-123", Inv)} {decimal.Parse("1,234.50", NumberStyles.Number, Inv).ToString(Inv)} {DateTime.Parse("2024-03-01T10:00:00Z", Inv, DateTimeStyles.AdjustToUniversal).ToString("s", Inv)}");
        Report.Line("format", $"TryParse bad input: {int.TryParse("12x", NumberStyles.Integer, Inv, out _)} {double.TryParse("abc", NumberStyles.Float, Inv, out _)}");
        Report.Line("format", $"interpolation alignment: [{42,6}] [{"left",-6}] [{3.14159,8:F2}]");
        Report.Line("format", $"math: sqrt2 {Math.Sqrt(2).ToString("R", Inv)}, sin1 {Math.Sin(1).ToString("F12", Inv)}, exp1 {Math.Exp(1).ToString("F12", Inv)}, log10 {Math.Log10(1000).ToString(Inv)}, round {Math.Round(2.5).ToString(Inv)} {Math.Round(3.5).ToString(Inv)}, pow {Math.Pow(2, 0.5).ToString("F12", Inv)}");
        Report.Line("format", $"BigInteger 2^200 = {BigInteger.Pow(2, 200).ToString(Inv)}");
        Report.Line("format", $"Guid: {Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e").ToString("B")}; Int128 max {Int128.MaxValue.ToString(Inv)}; Half {((Half)0.1).ToString(Inv)}");
        Report.Line("format", $"special doubles: {double.NaN.ToString(Inv)} {double.NegativeInfinity.ToString(Inv)} {(-0.0).ToString(Inv)} {double.Epsilon.ToString(Inv)} {double.MaxValue.ToString(Inv)}");
    }

    public static void Json()
    {
        var order = new Order(1001, "Ada Lovelace",
            [new LineItem("Analytical Engine", 1, 12345.67m), new LineItem("Punch card \"deluxe\"", 250, 0.05m), new LineItem("Ünïcödé ✓", 3, 1.5m)],
            Paid: true, Placed: new DateTime(2024, 12, 10, 9, 30, 0, DateTimeKind.Utc));
        string json = JsonSerializer.Serialize(order, ConformanceJsonContext.Default.Order);
        Report.Line("json", $"serialized: {json}");

        var back = JsonSerializer.Deserialize(json, ConformanceJsonContext.Default.Order)!;
        Report.Line("json", $"deserialized: id {back.Id}, customer {back.Customer}, items {back.Items.Count}, total {back.Items.Sum(i => i.Quantity * i.Price).ToString(Inv)}, paid {back.Paid}, placed {back.Placed.ToString("o", Inv)}, note null {back.Note == null}");
        Report.Line("json", $"round trip equal: {JsonSerializer.Serialize(back, ConformanceJsonContext.Default.Order) == json}, items equal: {back.Items.SequenceEqual(order.Items)}");

        var withNote = JsonSerializer.Deserialize("""{"id":1,"customer":"x","items":[],"paid":false,"placed":"2024-01-01T00:00:00Z","note":"hi","extra":42}""", ConformanceJsonContext.Default.Order)!;
        Report.Line("json", $"extra property ignored, note = {withNote.Note}, items = {withNote.Items.Count}");

        var map = new Dictionary<string, int[]> { ["primes"] = [2, 3, 5, 7], ["empty"] = [] };
        Report.Line("json", $"dictionary: {JsonSerializer.Serialize(map, ConformanceJsonContext.Default.DictionaryStringInt32Array)}");

        try
        {
            JsonSerializer.Deserialize("{\"id\": \"not a number\"}", ConformanceJsonContext.Default.Order);
        }
        catch (JsonException e)
        {
            Report.Line("json", $"bad input: {e.GetType().Name}, path {e.Path}");
        }

        using var doc = JsonDocument.Parse("""{"a": {"b": [10, 20, 30]}, "s": "text"}""");
        Report.Line("json", $"JsonDocument: a.b[1] = {doc.RootElement.GetProperty("a").GetProperty("b")[1].GetInt32()}, s = {doc.RootElement.GetProperty("s").GetString()}");

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("n", 1.25);
            writer.WriteString("s", "a\"b");
            writer.WriteEndObject();
        }
        Report.Line("json", $"Utf8JsonWriter: {Encoding.UTF8.GetString(stream.ToArray())}");
    }

    public static void Randomness()
    {
        var seeded = new Random(42);
        int[] ints = Enumerable.Range(0, 5).Select(_ => seeded.Next()).ToArray();
        int[] dice = Enumerable.Range(0, 10).Select(_ => seeded.Next(1, 7)).ToArray();
        string doubles = string.Join(" ", Enumerable.Range(0, 3).Select(_ => seeded.NextDouble().ToString("F6", Inv)));
        Report.Line("random", $"new Random(42).Next() x5: {string.Join(" ", ints)}");
        Report.Line("random", $"then Next(1, 7) x10: {string.Join("", dice)}; NextDouble x3: {doubles}");
        var again = new Random(42);
        Report.Line("random", $"a second new Random(42) repeats the sequence: {Enumerable.Range(0, 5).All(i => again.Next() == ints[i])}");

        bool inRange = true;
        var seen = new HashSet<int>();
        for (int i = 0; i < 1000; i++)
        {
            int v = Random.Shared.Next(1, 7);
            inRange &= v is >= 1 and <= 6;
            seen.Add(v);
        }
        Report.Line("random", $"Random.Shared.Next(1, 7) in range: {inRange}, all six faces seen in 1000 rolls: {seen.Count == 6}");
        Random first = new(), second = new();
        var fromFirst = Enumerable.Range(0, 4).Select(_ => first.Next()).ToArray();
        var fromSecond = Enumerable.Range(0, 4).Select(_ => second.Next()).ToArray();
        Report.Line("random", $"two unseeded Randoms give different sequences: {!fromFirst.SequenceEqual(fromSecond)}");

        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        Report.Line("random", $"Guid.NewGuid: version {a.Version}, two differ: {a != b}");
        byte[] bytes = new byte[32];
        Random.Shared.NextBytes(bytes);
        Report.Line("random", $"Random.Shared.NextBytes(32) not all zero: {bytes.Any(x => x != 0)}");
    }
}
