// The garbage collector: allocation on several threads with collections in between (the data must come
// through intact), weak references, pinning, the large-object heap, finalizers.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Conformance;

public static class Memory
{
    /// <summary>FNV-1a over the characters: a checksum that does not depend on the process (string.GetHashCode does).</summary>
    public static uint Fnv(string s, uint hash = 2166136261)
    {
        foreach (char c in s) hash = (hash ^ c) * 16777619;
        return hash;
    }

    public static void GcStress()
    {
        const int threadCount = 4, rounds = 300, perRound = 200;
        int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
        var checksums = new uint[threadCount];
        var survivors = new List<string>[threadCount];
        var survivorChecksums = new uint[threadCount];
        var threads = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                uint checksum = 2166136261, kept = 2166136261;
                var keep = new List<string>();
                for (int round = 0; round < rounds; round++)
                {
                    var strings = new List<string>(perRound);
                    var blobs = new List<byte[]>();
                    for (int i = 0; i < perRound; i++)
                    {
                        string s = $"t{index}-r{round}-i{i}-" + new string((char)('a' + (i % 26)), i % 40);
                        strings.Add(s);
                        if (i % 16 == 0) blobs.Add(new byte[1024 + i]);
                    }
                    for (int i = 0; i < strings.Count; i++)
                    {
                        checksum = Fnv(strings[i], checksum);
                        if (i % 50 == 0) { keep.Add(strings[i]); kept = Fnv(strings[i], kept); }
                    }
                    checksum ^= (uint)blobs.Sum(b => b.Length);
                    if (round % 60 == 59) GC.Collect();            // full, blocking, while the others allocate
                    else if (round % 20 == 19) GC.Collect(0);
                }
                checksums[index] = checksum;
                survivors[index] = keep;
                survivorChecksums[index] = kept;
            });
            threads[t].Start();
        }
        foreach (var thread in threads) thread.Join();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        bool intact = true;
        for (int t = 0; t < threadCount; t++)
        {
            uint again = 2166136261;
            foreach (var s in survivors[t]) again = Fnv(s, again);
            intact &= again == survivorChecksums[t] && survivors[t].Count == rounds * (perRound / 50);
        }
        Report.Line("gc", $"checksums per thread: {string.Join(" ", checksums.Select(c => c.ToString("x8")))}");
        Report.Line("gc", $"survivors intact after a compacting collection: {intact}");
        Report.Line("gc", $"gen0 collections happened: {GC.CollectionCount(0) > gen0Before}, gen2 collections happened: {GC.CollectionCount(2) > gen2Before}");
    }

    public static void GcMisc()
    {
        var weak = MakeWeak();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Report.Line("gc-misc", $"weak reference to an unreachable object cleared: {!weak.TryGetTarget(out _)}");

        var strongTarget = new StringBuilder("kept alive");
        var strong = new WeakReference<StringBuilder>(strongTarget);
        GC.Collect();
        Report.Line("gc-misc", $"weak reference to a reachable object kept: {strong.TryGetTarget(out var kept) && kept.ToString() == "kept alive"}");
        GC.KeepAlive(strongTarget);

        byte[] pinnedArray = new byte[256];
        for (int i = 0; i < pinnedArray.Length; i++) pinnedArray[i] = (byte)i;
        var handle = GCHandle.Alloc(pinnedArray, GCHandleType.Pinned);
        nint before = handle.AddrOfPinnedObject();
        for (int i = 0; i < 1000; i++) _ = new byte[512];
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        bool stable = handle.AddrOfPinnedObject() == before && Marshal.ReadByte(before, 200) == 200;
        handle.Free();
        Report.Line("gc-misc", $"pinned array did not move across a compacting collection: {stable}");

        var large = new byte[1 << 20];
        large[^1] = 1;
        Report.Line("gc-misc", $"1 MiB array is in the large-object heap (generation 2): {GC.GetGeneration(large) == 2}");
        var young = new object();
        GC.Collect();
        GC.Collect();
        Report.Line("gc-misc", $"object surviving two collections is promoted: {GC.GetGeneration(young) >= 1}");
        Report.Line("gc-misc", $"allocated bytes > 1 MiB: {GC.GetTotalAllocatedBytes() > (1 << 20)}");
        Report.Line("gc-misc", $"GC sees >= 64 MiB of available memory: {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >= 64L << 20}");
        Report.Line("gc-misc", $"pinned object heap array is gen 2: {GC.GetGeneration(GC.AllocateArray<int>(16, pinned: true)) == 2}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<object> MakeWeak() => new(new string('x', 100));

    private sealed class Finalizable
    {
        public static int Finalized;
        public readonly byte[] Payload = new byte[64];
        ~Finalizable() => Interlocked.Increment(ref Finalized);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeFinalizables(int count)
    {
        for (int i = 0; i < count; i++) _ = new Finalizable();
    }

    public static void Finalizers()
    {
        MakeFinalizables(100);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Report.Line("finalizers", $"ran >= 1 of 100: {Volatile.Read(ref Finalizable.Finalized) >= 1}");
    }
}
