// Threads, locks and Interlocked, synchronization primitives, tasks and async/await, Parallel.For,
// timers and Task.Delay, Stopwatch and DateTime. Worker threads compute; only the main thread prints.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Conformance;

public static class Threading
{
    [ThreadStatic] private static int t_perThread;

    public static void Threads()
    {
        const int threadCount = 4, iterations = 10_000;
        object gate = new();
        int locked = 0, interlocked = 0;
        var ids = new ConcurrentDictionary<int, bool>();
        var names = new string?[threadCount];
        var threadStatics = new int[threadCount];
        var threads = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                ids[Environment.CurrentManagedThreadId] = true;
                names[index] = Thread.CurrentThread.Name;
                for (int i = 0; i < iterations; i++)
                {
                    lock (gate) locked++;
                    Interlocked.Increment(ref interlocked);
                    t_perThread++;
                }
                threadStatics[index] = t_perThread;
            }) { Name = "worker-" + t };
            threads[t].Start();
        }
        foreach (var thread in threads) thread.Join();

        Report.Line("threads", $"lock counter = {locked}");
        Report.Line("threads", $"interlocked counter = {interlocked}");
        Report.Line("threads", $"all stopped after Join: {threads.All(t => !t.IsAlive && t.ThreadState == System.Threading.ThreadState.Stopped)}");
        Report.Line("threads", $"distinct thread ids = {ids.Count}, main thread's not among them: {!ids.ContainsKey(Environment.CurrentManagedThreadId)}");
        Report.Line("threads", $"names seen by the threads: {string.Join(", ", names)}");
        Report.Line("threads", $"[ThreadStatic] per thread: {string.Join(", ", threadStatics)}; main thread's: {t_perThread}");

        long a = 0;
        Report.Line("threads", $"Interlocked.Add/Exchange/CompareExchange: {Interlocked.Add(ref a, 5)} {Interlocked.Exchange(ref a, 7)} {Interlocked.CompareExchange(ref a, 9, 7)} {a}");

        var local = new ThreadLocal<int>(() => 100, trackAllValues: true);
        var bumpers = Enumerable.Range(0, 3).Select(i => new Thread(() => local.Value += i)).ToArray();
        foreach (var b in bumpers) b.Start();
        foreach (var b in bumpers) b.Join();
        Report.Line("threads", $"ThreadLocal values: {string.Join(", ", local.Values.Order())}");
    }

    public static void Synchronization()
    {
        // Monitor.Wait/Pulse: a producer hands 1..100 to a consumer through a queue of capacity 4.
        var queue = new Queue<int>();
        object gate = new();
        int consumed = 0;
        var consumer = new Thread(() =>
        {
            for (int n = 0; n < 100; n++)
                lock (gate)
                {
                    while (queue.Count == 0) Monitor.Wait(gate);
                    consumed += queue.Dequeue();
                    Monitor.PulseAll(gate);
                }
        });
        consumer.Start();
        for (int i = 1; i <= 100; i++)
            lock (gate)
            {
                while (queue.Count == 4) Monitor.Wait(gate);
                queue.Enqueue(i);
                Monitor.PulseAll(gate);
            }
        consumer.Join();
        Report.Line("sync", $"Monitor producer/consumer sum = {consumed}");

        using var ready = new ManualResetEventSlim();
        using var go = new ManualResetEventSlim();
        int step = 0;
        var waiter = new Thread(() => { ready.Set(); go.Wait(); step = 2; });
        waiter.Start();
        ready.Wait();
        step = 1;
        go.Set();
        waiter.Join();
        Report.Line("sync", $"ManualResetEventSlim handshake step = {step}");

        using var semaphore = new SemaphoreSlim(2);
        int inside = 0, maxInside = 0;
        var workers = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            semaphore.Wait();
            int now = Interlocked.Increment(ref inside);
            int seen;
            while (now > (seen = Volatile.Read(ref maxInside)) && Interlocked.CompareExchange(ref maxInside, now, seen) != seen) { }
            Thread.Sleep(2);
            Interlocked.Decrement(ref inside);
            semaphore.Release();
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Report.Line("sync", $"SemaphoreSlim(2) max holders <= 2: {maxInside <= 2}, >= 1: {maxInside >= 1}");

        using var countdown = new CountdownEvent(16);
        int ran = 0;
        for (int i = 0; i < 16; i++)
            ThreadPool.QueueUserWorkItem(_ => { Interlocked.Increment(ref ran); countdown.Signal(); });
        Report.Line("sync", $"ThreadPool work items done in time: {countdown.Wait(TimeSpan.FromSeconds(30))}, ran = {ran}");

        using var auto = new AutoResetEvent(false);
        var setter = new Thread(() => auto.Set());
        setter.Start();
        Report.Line("sync", $"AutoResetEvent (a WaitHandle) signalled: {auto.WaitOne(TimeSpan.FromSeconds(30))}");
        setter.Join();

        var rw = new ReaderWriterLockSlim();
        rw.EnterReadLock();
        bool readHeld = rw.IsReadLockHeld;
        rw.ExitReadLock();
        rw.EnterWriteLock();
        bool writeHeld = rw.IsWriteLockHeld;
        rw.ExitWriteLock();
        Report.Line("sync", $"ReaderWriterLockSlim read/write held: {readHeld}/{writeHeld}");

        using var blocking = new BlockingCollection<int>(boundedCapacity: 8);
        var producer = Task.Run(() => { for (int i = 1; i <= 50; i++) blocking.Add(i); blocking.CompleteAdding(); });
        int total = blocking.GetConsumingEnumerable().Sum();
        producer.Wait();
        Report.Line("sync", $"BlockingCollection sum = {total}");
    }

    public static void Tasks()
    {
        Report.Line("tasks", $"Task.Run result = {Task.Run(() => 21 * 2).Result}");

        var squares = Enumerable.Range(1, 8).Select(i => Task.Run(() => i * i)).ToArray();
        Report.Line("tasks", $"WhenAll of 8 squares: [{string.Join(", ", Task.WhenAll(squares).Result)}]");

        Report.Line("tasks", $"async chain = {ChainAsync(5).GetAwaiter().GetResult()}");
        Report.Line("tasks", $"async chain with ConfigureAwait(false) = {ChainConfigureAwaitFalse().GetAwaiter().GetResult()}");

        try
        {
            FaultingAsync().GetAwaiter().GetResult();
        }
        catch (InvalidOperationException e)
        {
            Report.Line("tasks", $"awaited exception: {e.GetType().Name}: {e.Message}");
        }

        var faulted = Task.WhenAll(Task.Run(() => throw new ArgumentException("first")),
                                   Task.Run(() => throw new FormatException("second")));
        try { faulted.Wait(); }
        catch (AggregateException e)
        {
            Report.Line("tasks", $"AggregateException inner: {string.Join(", ", e.Flatten().InnerExceptions.Select(x => x.GetType().Name).Order())}");
        }

        var slow = Task.Delay(10_000);
        var quick = Task.FromResult(1);
        Report.Line("tasks", $"WhenAny picks the completed task: {Task.WhenAny(slow, quick).Result == quick}");

        using var cts = new CancellationTokenSource();
        cts.CancelAfter(20);
        try
        {
            Task.Delay(Timeout.Infinite, cts.Token).GetAwaiter().GetResult();
            Report.Line("tasks", "CancelAfter: not cancelled");
        }
        catch (TaskCanceledException)
        {
            Report.Line("tasks", "CancelAfter(20) cancelled Task.Delay(Infinite): True");
        }

        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() => tcs.SetResult("set from another thread")).Start();
        Report.Line("tasks", $"TaskCompletionSource: {tcs.Task.Result}");

        Report.Line("tasks", $"async iterator sum = {SumAsyncEnumerable().GetAwaiter().GetResult()}");
    }

    private static async Task<int> ChainAsync(int depth)
    {
        if (depth == 0) { await Task.Yield(); return 1; }
        await Task.Delay(1);
        return await ChainAsync(depth - 1) * 2 + depth;
    }

    private static async Task<string> ChainConfigureAwaitFalse()
    {
        int a = await Task.Run(() => 40).ConfigureAwait(false);
        await Task.Yield();
        int b = await Task.Run(async () => { await Task.Delay(1).ConfigureAwait(false); return 2; }).ConfigureAwait(false);
        return (a + b).ToString();
    }

    private static async Task FaultingAsync()
    {
        await Task.Delay(1);
        throw new InvalidOperationException("thrown after an await");
    }

    private static async IAsyncEnumerable<int> CountAsync(int n)
    {
        for (int i = 1; i <= n; i++)
        {
            if (i % 3 == 0) await Task.Yield();
            yield return i;
        }
    }

    private static async Task<int> SumAsyncEnumerable()
    {
        int sum = 0;
        await foreach (int i in CountAsync(20)) sum += i;
        return sum;
    }

    public static void ParallelLoops()
    {
        long sum = 0;
        Parallel.For(0, 100_000, () => 0L, (i, _, local) => local + i, local => Interlocked.Add(ref sum, local));
        Report.Line("parallel", $"Parallel.For sum of 0..99999 = {sum}");

        var words = Enumerable.Range(0, 1000).Select(i => "w" + (i % 10)).ToList();
        var counts = new ConcurrentDictionary<string, int>();
        Parallel.ForEach(words, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w => counts.AddOrUpdate(w, 1, (_, c) => c + 1));
        Report.Line("parallel", $"Parallel.ForEach word counts: {string.Join(" ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}");

        Report.Line("parallel", $"PLINQ sum of squares 1..1000 = {Enumerable.Range(1, 1000).AsParallel().Select(i => (long)i * i).Sum()}");

        int invoked = 0;
        Parallel.Invoke(() => Interlocked.Add(ref invoked, 1), () => Interlocked.Add(ref invoked, 10), () => Interlocked.Add(ref invoked, 100));
        Report.Line("parallel", $"Parallel.Invoke = {invoked}");
    }

    public static void Timers()
    {
        const int wanted = 5;
        int fired = 0;
        using var reached = new ManualResetEventSlim();
        var sw = Stopwatch.StartNew();
        var timer = new Timer(_ => { if (Interlocked.Increment(ref fired) == wanted) reached.Set(); }, null, 10, 10);
        bool inTime = reached.Wait(TimeSpan.FromSeconds(30));
        long elapsed = sw.ElapsedMilliseconds;
        using (var disposed = new ManualResetEvent(false))
        {
            timer.Dispose(disposed);
            disposed.WaitOne();
        }
        Report.Line("timers", $"Timer(10 ms period) fired {wanted} times: {inTime}");
        Report.Line("timers", $"5 firings took >= 40 ms: {elapsed >= 40}");
        int afterDispose = Volatile.Read(ref fired);
        Thread.Sleep(30);
        Report.Line("timers", $"no firing after Dispose: {Volatile.Read(ref fired) == afterDispose}");

        using var oneShot = new ManualResetEventSlim();
        sw.Restart();
        using (new Timer(_ => oneShot.Set(), null, 20, Timeout.Infinite))
            Report.Line("timers", $"one-shot Timer(20 ms) fired: {oneShot.Wait(TimeSpan.FromSeconds(30))}, after >= 15 ms: {sw.ElapsedMilliseconds >= 15}");

        sw.Restart();
        Task.Delay(50).Wait();
        Report.Line("timers", $"Task.Delay(50) elapsed >= 45 ms: {sw.ElapsedMilliseconds >= 45}");

        sw.Restart();
        Thread.Sleep(20);
        Report.Line("timers", $"Thread.Sleep(20) elapsed >= 19 ms: {sw.ElapsedMilliseconds >= 19}");

        Report.Line("timers", $"PeriodicTimer ticks = {PeriodicTicks().GetAwaiter().GetResult()}");
    }

    private static async Task<int> PeriodicTicks()
    {
        using var periodic = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        int ticks = 0;
        while (ticks < 3 && await periodic.WaitForNextTickAsync()) ticks++;
        return ticks;
    }

    public static void Time()
    {
        bool monotonic = true;
        long previous = Stopwatch.GetTimestamp();
        for (int i = 0; i < 10_000; i++)
        {
            long now = Stopwatch.GetTimestamp();
            if (now < previous) monotonic = false;
            previous = now;
        }
        Report.Line("time", $"Stopwatch timestamps non-decreasing: {monotonic}");
        Report.Line("time", $"Stopwatch.IsHighResolution: {Stopwatch.IsHighResolution}, Frequency: {Stopwatch.Frequency}");

        long tick = Environment.TickCount64;
        Thread.Sleep(15);
        Report.Line("time", $"Environment.TickCount64 advanced over a 15 ms sleep: {Environment.TickCount64 > tick}");

        var utc = DateTime.UtcNow;
        Report.Line("time", $"DateTime.UtcNow year >= 2024: {utc.Year >= 2024}, kind: {utc.Kind}");
        Report.Line("time", $"DateTimeOffset.UtcNow within a minute of DateTime.UtcNow: {Math.Abs((DateTimeOffset.UtcNow.UtcDateTime - utc).TotalMinutes) < 1}");
        Report.Line("time", $"Unix time after 2024-01-01: {DateTimeOffset.UtcNow.ToUnixTimeSeconds() > 1_704_067_200}");
    }
}
