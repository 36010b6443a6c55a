using Unikernel.Linker.Compression;

// The distinct contents of every file under DIRECTORY (in ordinal path order, as uk-ld's packed stream holds them),
// compressed in blocks of each size with our LZ4 encoder at shortest matches of 4 and 8, and each file on its own.
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: PackedBlocks DIRECTORY (e.g. /usr/share/zoneinfo)");
    return 2;
}
var seen = new HashSet<string>();
var stream = new MemoryStream();
long eachAlone = 0;
foreach (string file in Directory.GetFiles(args[0], "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
{
    byte[] bytes = File.ReadAllBytes(file);
    if (!seen.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)))) continue;
    stream.Write(bytes);
    eachAlone += Lz4BlockEncoder.Encode(bytes, 4).Length;
}
byte[] all = stream.ToArray();
Console.WriteLine($"distinct contents: {all.Length:N0} bytes; each file on its own (shortest match 4): {eachAlone:N0} ({100.0 * eachAlone / all.Length:F1} %)");
foreach (int block in new[] { 4096, 16384, 65536 })
    foreach (int shortest in new[] { 4, 8 })
    {
        long total = 0;
        for (int at = 0; at < all.Length; at += block)
            total += Lz4BlockEncoder.Encode(all.AsSpan(at, Math.Min(block, all.Length - at)), shortest).Length;
        Console.WriteLine($"block {block,6:N0}, shortest match {shortest}: {total:N0} ({100.0 * total / all.Length:F1} %)");
    }
return 0;
