// The modes other than the default one (README.md: what each proves, its output and exit code on Linux).
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Conformance;

public static class Modes
{
    // Plain statics without initializers: reading them is a plain memory access, no runtime call.
    private static volatile bool s_stop;
    private static volatile bool s_started;
    private static long s_spins;

    /// <summary>
    /// A thread spins forever on a volatile flag nobody sets; the main thread sleeps 5 x 100 ms and must get
    /// the CPU back each time, also with a single CPU. The spinner is a background thread, so returning from
    /// Main ends the process while it still spins.
    /// </summary>
    public static int CpuSpin()
    {
        var spinner = new Thread(SpinCounting) { IsBackground = true, Name = "spinner" };
        spinner.Start();
        WaitUntilStarted();
        var sw = Stopwatch.StartNew();
        for (int i = 1; i <= 5; i++)
        {
            long before = Volatile.Read(ref s_spins);
            Thread.Sleep(100);
            Console.WriteLine($"cpu-spin: main thread woke up {i}/5, spinner advanced meanwhile: {Volatile.Read(ref s_spins) > before}");
        }
        Console.WriteLine($"cpu-spin: 5 sleeps of 100 ms took >= 500 ms: {sw.ElapsedMilliseconds >= 500}, spinner still running: {spinner.IsAlive}");
        Console.WriteLine("preemption: ok");
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpinCounting()
    {
        s_started = true;
        while (!s_stop) Volatile.Write(ref s_spins, Volatile.Read(ref s_spins) + 1);
    }

    /// <summary>
    /// A thread spins in a loop that never calls into the runtime (no allocation, no call, no poll) while
    /// the main thread collects 10 times: every collection must stop the spinning thread, which takes a
    /// signal (the runtime's activation signal, SIGRTMIN on musl) delivered to a thread running user code.
    /// </summary>
    public static int GcUnderLoad()
    {
        long result = 0;
        var spinner = new Thread(() => result = SpinInRegister()) { Name = "spinner" };
        spinner.Start();
        WaitUntilStarted();
        int gen2Before = GC.CollectionCount(2);
        var keep = new List<string>();
        for (int i = 1; i <= 10; i++)
        {
            for (int j = 0; j < 1000; j++) keep.Add(new string('g', j % 64));   // something for the GC to trace
            if (keep.Count > 5000) keep.RemoveRange(0, 2500);
            GC.Collect();
            Console.WriteLine($"gc-under-load: GC.Collect {i}/10 returned");
        }
        bool collected = GC.CollectionCount(2) - gen2Before >= 10;
        s_stop = true;
        spinner.Join();
        Console.WriteLine($"gc-under-load: 10 full collections counted: {collected}, spinner counted > 0: {result > 0}, list intact: {keep.All(s => s.Length < 64 && s.All(c => c == 'g'))}");
        Console.WriteLine("gc while spinning: ok");
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long SpinInRegister()
    {
        long x = 0;
        s_started = true;
        while (!s_stop) x++;
        return x;
    }

    private static void WaitUntilStarted()
    {
        var sw = Stopwatch.StartNew();
        while (!s_started)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the spinning thread never started");
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// Allocates 1 MiB arrays and touches every page, keeping them all, up to <paramref name="limitMiB"/>
    /// (2 GiB by default). Exit 0 with "oom: not reached" at the limit, 3 on OutOfMemoryException.
    /// </summary>
    public static int Oom(int limitMiB)
    {
        const int MiB = 1 << 20;
        var blocks = new List<byte[]>();
        try
        {
            for (int mib = 1; mib <= limitMiB; mib++)
            {
                var block = new byte[MiB];
                for (int i = 0; i < block.Length; i += 4096) block[i] = (byte)mib;
                block[^1] = (byte)mib;
                blocks.Add(block);
                if (mib % 64 == 0) Console.WriteLine($"oom: allocated {mib} MiB");
            }
        }
        catch (OutOfMemoryException)
        {
            int reached = blocks.Count;
            blocks.Clear();
            blocks = null;
            GC.Collect();
            Console.WriteLine($"oom: OutOfMemoryException after {reached} MiB");
            return 3;
        }
        bool intact = true;
        for (int n = 0; n < blocks.Count; n++)
            intact &= blocks[n][0] == (byte)(n + 1) && blocks[n][^1] == (byte)(n + 1) && blocks[n][MiB / 2] == (byte)(n + 1);
        Console.WriteLine($"oom: {blocks.Count} MiB kept and intact: {intact}");
        Console.WriteLine("oom: not reached");
        return 0;
    }

    /// <summary>
    /// Writes through a wild pointer. "high": 0xFFFF800000001000, the start of the upper (kernel) half of
    /// the address space; "low": 0x100000 (1 MiB, where a kernel is often loaded, unmapped in a Linux
    /// process); "null": address 0. What happens on Linux is in README.md.
    /// </summary>
    public static unsafe int NullWild(string target)
    {
        ulong address = target switch
        {
            "high" => 0xFFFF_8000_0000_1000,
            "low" => 0x10_0000,
            "null" => 0,
            _ => throw new UnreachableException("Program.Main checks the target"),
        };
        Console.WriteLine($"null-wild: writing to 0x{address:X}");
        Console.Out.Flush();
        try
        {
            WriteTo((int*)Opaque.Pointer(address));
            Console.WriteLine("null-wild: the write did not fault");
            return 1;
        }
        catch (NullReferenceException e)
        {
            Console.WriteLine($"null-wild: {e.GetType().FullName}: {e.Message}");
            return 0;
        }
        catch (AccessViolationException e)
        {
            Console.WriteLine($"null-wild: {e.GetType().FullName}: {e.Message}");
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void WriteTo(int* pointer) => *pointer = 1;

    // unhandled: an exception nobody catches, thrown two calls deep on the main thread. The runtime
    // prints "Unhandled exception." with the message and stack trace and aborts (SIGABRT: status 134).
    public static int Unhandled()
    {
        Console.WriteLine("unhandled: throwing");
        ThrowFromDepth(2);
        return 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFromDepth(int depth)
    {
        if (depth == 0) throw new InvalidOperationException("nobody catches this one");
        ThrowFromDepth(depth - 1);
    }
}
