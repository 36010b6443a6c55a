using Unikernel.Tools.Cli;
using Unikernel.Tools.Inspect;
using Unikernel.Tools.Inspect.Render;

namespace Unikernel.Tools.Tests;

/// <summary>
/// `uk inspect` on damaged images (seeded, bounded): every mutation of the headers, program headers and section table
/// ends in a one-line refusal (not ELF, truncated, corrupt) or a report whose figures are possible -- never an unhandled
/// exception, never a part larger than the file (the 178 % and 6.6e9 % once printed for corrupted images).
/// </summary>
public class InspectMutationTests
{
    [Fact]
    public void DamagedImagesAreRefusedOrReportedWithPossibleFigures()
    {
        using var dir = new TempDirectory();
        byte[] original = InspectTests.SyntheticElf(withApp: true).Build();
        var elf = ElfFile.Parse(original);
        int headersEnd = (int)elf.HeadersSize, tableStart = (int)elf.SectionHeaderOffset;
        var random = new Random(12);
        int refused = 0, reported = 0;
        for (int round = 0; round < 400; round++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                // Header and program headers, or the section table: where sizes and offsets live.
                int at = random.Next(2) == 0 ? random.Next(16, headersEnd) : random.Next(tableStart, bytes.Length);
                bytes[at] = random.Next(3) switch { 0 => 0xFF, 1 => 0x00, _ => (byte)random.Next(256) };
            }
            string path = dir.File($"m{round}.img");
            File.WriteAllBytes(path, bytes);
            try
            {
                var report = ImageAnalyzer.Analyze(path);
                foreach (var part in report.Parts.SelectMany(p => p.Children.Prepend(p)))
                    Assert.True(part.FileBytes <= (ulong)report.FileSize, $"round {round}: {part.Name} {part.FileBytes} of {report.FileSize}");
                var text = new StringWriter();
                TextReport.Write(report, text, TerminalStyle.Plain, 10);
                JsonReport.Write(report, new StringWriter());
                HtmlReport.Build(report, 10);
                reported++;
            }
            catch (Exception e) when (e is NotAnElfException or DamagedImageException)
            {
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
        }
        Assert.True(refused > 0 && reported > 0, $"refused {refused}, reported {reported}");
    }
}
