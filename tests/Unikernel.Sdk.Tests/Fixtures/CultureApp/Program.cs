using System.Globalization;

// With ICU: German grouping and the Turkish dotted capital I. In invariant mode there is no German culture at all.
try
{
    var german = CultureInfo.GetCultureInfo("de-DE");
    Console.WriteLine($"{1234.5.ToString("N2", german)} {"istanbul".ToUpper(CultureInfo.GetCultureInfo("tr-TR"))}");
}
catch (CultureNotFoundException)
{
    Console.WriteLine("no cultures");
}
