using System.Globalization;
using System.Text;

// Culture-dependent results, one per line, for the differential test: every value below comes from ICU (the invariant
// mode would throw on the first culture or answer with ordinal rules), so a missing or different ICU changes the output.
var sample = new DateTime(2026, 3, 14, 15, 9, 26, DateTimeKind.Utc);
const decimal Amount = 1234567.891m;

Console.WriteLine($"icu: {!IsInvariant()}");
foreach (string name in new[] { "de-DE", "fr-FR", "ja-JP", "ar-SA", "en-US" })
{
    var culture = CultureInfo.GetCultureInfo(name);
    Console.WriteLine($"{name} {culture.EnglishName} / {culture.NativeName}");
    Console.WriteLine($"  number   {Amount.ToString("N2", culture)}");
    Console.WriteLine($"  currency {Amount.ToString("C", culture)}");
    Console.WriteLine($"  percent  {0.256.ToString("P1", culture)}");
    Console.WriteLine($"  date     {sample.ToString("D", culture)}");
    Console.WriteLine($"  datetime {sample.ToString("G", culture)}");
    Console.WriteLine($"  month    {culture.DateTimeFormat.GetMonthName(3)} / {culture.DateTimeFormat.GetAbbreviatedDayName(DayOfWeek.Saturday)}");
    Console.WriteLine($"  calendar {culture.Calendar.GetType().Name} {culture.Calendar.GetYear(sample)}");
    Console.WriteLine($"  parse    {decimal.Parse(Amount.ToString("N3", culture), NumberStyles.Number, culture)}");
}

string[] words = ["Äpfel", "apfel", "Zebra", "Öl", "ol", "Ähre", "zucker", "Ärger"];
Console.WriteLine($"sort de-DE: {string.Join(" ", Sorted(words, "de-DE"))}");
Console.WriteLine($"sort sv-SE: {string.Join(" ", Sorted(words, "sv-SE"))}");
Console.WriteLine($"sort ordinal: {string.Join(" ", words.Order(StringComparer.Ordinal))}");
var german = CultureInfo.GetCultureInfo("de-DE").CompareInfo;
Console.WriteLine($"compare IgnoreCase Straße/STRASSE: {german.Compare("Straße", "STRASSE", CompareOptions.IgnoreCase)}");
Console.WriteLine($"compare IgnoreNonSpace café/cafe: {german.Compare("café", "cafe", CompareOptions.IgnoreNonSpace)}");
Console.WriteLine($"IndexOf IgnoreCase: {german.IndexOf("Die GROSSE Straße", "große", CompareOptions.IgnoreCase)}");
Console.WriteLine($"IsPrefix IgnoreKanaType: {CultureInfo.GetCultureInfo("ja-JP").CompareInfo.IsPrefix("カタカナ", "かた", CompareOptions.IgnoreKanaType)}");

var turkish = CultureInfo.GetCultureInfo("tr-TR");
Console.WriteLine($"upper tr-TR: {"istanbul ıi".ToUpper(turkish)}  lower tr-TR: {"İSTANBUL IĞDIR".ToLower(turkish)}");
Console.WriteLine($"upper invariant: {"istanbul ıi".ToUpperInvariant()}  upper de-DE: {"straße".ToUpper(CultureInfo.GetCultureInfo("de-DE"))}");
Console.WriteLine($"title en-US: {CultureInfo.GetCultureInfo("en-US").TextInfo.ToTitleCase("the quick brown fox")}");

var idn = new IdnMapping();
Console.WriteLine($"idn ascii: {idn.GetAscii("bücher.example")} {idn.GetAscii("日本語.jp")}");
Console.WriteLine($"idn unicode: {idn.GetUnicode("xn--mnchen-3ya.de")}");

string composed = "Åström café", decomposed = composed.Normalize(NormalizationForm.FormD);
Console.WriteLine($"normalize: NFC {composed.Length} NFD {decomposed.Length} NFKC {"ﬁ①".Normalize(NormalizationForm.FormKC)} " +
                  $"isNFC {decomposed.IsNormalized()} roundtrip {decomposed.Normalize() == composed}");

Console.WriteLine($"cultures: all {CultureInfo.GetCultures(CultureTypes.AllCultures).Length} " +
                  $"specific {CultureInfo.GetCultures(CultureTypes.SpecificCultures).Length} " +
                  $"neutral {CultureInfo.GetCultures(CultureTypes.NeutralCultures).Length}");
Console.WriteLine($"region DE: {new RegionInfo("DE").EnglishName} {new RegionInfo("DE").ISOCurrencySymbol} {new RegionInfo("JP").CurrencyEnglishName}");
Console.WriteLine($"current: '{CultureInfo.CurrentCulture.Name}' {3.5.ToString(CultureInfo.CurrentCulture)}");

CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("fr-FR");
Console.WriteLine($"utc: {TimeZoneInfo.Utc.DisplayName} / {TimeZoneInfo.Utc.StandardName}");

try
{
    _ = CultureInfo.GetCultureInfo("xx-NOT-A-CULTURE");
    Console.WriteLine("unknown culture: accepted");
}
catch (CultureNotFoundException)
{
    Console.WriteLine("unknown culture: CultureNotFoundException");
}
return 0;

static IEnumerable<string> Sorted(string[] words, string culture) =>
    words.Order(StringComparer.Create(CultureInfo.GetCultureInfo(culture), ignoreCase: false));

// In invariant mode every culture is the invariant one, with a NativeName of "Invariant Language (Invariant Country)".
static bool IsInvariant()
{
    try { return CultureInfo.GetCultureInfo("de-DE").NumberFormat.NumberDecimalSeparator == "."; }
    catch (CultureNotFoundException) { return true; }
}
