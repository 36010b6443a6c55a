// Exceptions: nested throw/catch with stack traces, finally and filters, faults the hardware raises
// (a real null dereference, a real integer division by zero), and deep recursion.
using System.Runtime.CompilerServices;

namespace Conformance;

public sealed class ConformanceException(string message, int code) : Exception(message)
{
    public int Code { get; } = code;
}

public static class Exceptions
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingInnermost(int value) =>
        throw new InvalidOperationException($"inner failure {value}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WrappingMiddle()
    {
        try
        {
            ThrowingInnermost(7);
        }
        catch (InvalidOperationException e)
        {
            throw new ApplicationException("outer failure", e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rethrowing()
    {
        try
        {
            ThrowingInnermost(8);
        }
        catch (InvalidOperationException)
        {
            throw;
        }
    }

    public static void Nested()
    {
        try
        {
            WrappingMiddle();
        }
        catch (ApplicationException e)
        {
            Report.Line("exceptions", $"caught {e.GetType().FullName}: {e.Message}");
            Report.Line("exceptions", $"inner {e.InnerException?.GetType().FullName}: {e.InnerException?.Message}");
            Report.Line("exceptions", $"outer trace names WrappingMiddle: {e.StackTrace?.Contains(nameof(WrappingMiddle))}");
            Report.Line("exceptions", $"inner trace names ThrowingInnermost: {e.InnerException?.StackTrace?.Contains(nameof(ThrowingInnermost))}");
            Report.Line("exceptions", $"ToString names both types: {e.ToString().Contains("ApplicationException") && e.ToString().Contains("InvalidOperationException")}");
        }

        try
        {
            Rethrowing();
        }
        catch (InvalidOperationException e)
        {
            Report.Line("exceptions", $"rethrow keeps the original frame: {e.StackTrace?.Contains(nameof(ThrowingInnermost))}, message: {e.Message}");
        }

        var order = new List<string>();
        try
        {
            try
            {
                order.Add("try");
                throw new ConformanceException("custom", 17);
            }
            finally
            {
                order.Add("finally");
            }
        }
        catch (ConformanceException e) when (Filter(order, e.Code == 17))
        {
            order.Add($"catch code {e.Code}");
        }
        // A filter runs before the inner finally (two-pass exception handling).
        Report.Line("exceptions", $"order: {string.Join(" -> ", order)}");

        try
        {
            throw new ConformanceException("not matched", 1);
        }
        catch (ConformanceException e) when (e.Code == 2)
        {
            Report.Line("exceptions", "filter: wrong handler");
        }
        catch (Exception e)
        {
            Report.Line("exceptions", $"filter false falls through to: catch (Exception) with {e.Message}");
        }

        var data = new KeyValuePairException();
        try { data.Throw(); }
        catch (Exception e) { Report.Line("exceptions", $"Exception.Data[\"key\"] = {e.Data["key"]}"); }

        try { _ = int.Parse("not a number"); }
        catch (FormatException e) { Report.Line("exceptions", $"int.Parse: {e.GetType().Name}: {e.Message}"); }

        try { ArgumentNullException.ThrowIfNull(Opaque.Null<string>(), "param"); }
        catch (ArgumentNullException e) { Report.Line("exceptions", $"ThrowIfNull: {e.GetType().Name}: {e.Message}"); }

        try { _ = new Dictionary<string, int>()["missing"]; }
        catch (KeyNotFoundException e) { Report.Line("exceptions", $"dictionary: {e.GetType().Name}: {e.Message}"); }
    }

    private sealed class KeyValuePairException
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Throw() => throw new InvalidDataException("with data") { Data = { ["key"] = "value" } };
    }

    private static bool Filter(List<string> order, bool result)
    {
        order.Add("filter");
        return result;
    }

    private class Node
    {
        public int Value = 5;
        public virtual int Virtual() => Value;
    }

    private sealed class DerivedNode : Node
    {
        public override int Virtual() => Value + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadField(Node? node) => node!.Value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int a, int b) => a / b;

    private static string Describe(Exception e) => $"{e.GetType().FullName}: {e.Message}";

    public static void Hardware()
    {
        try { Report.Line("hw-exceptions", $"field read through null: no exception, {ReadField(Opaque.Null<Node>())}"); }
        catch (NullReferenceException e) { Report.Line("hw-exceptions", $"field read through null: {Describe(e)}"); }

        Report.Line("hw-exceptions", $"virtual call on a derived object: {Opaque.Identity<Node>(new DerivedNode()).Virtual()}");
        try { Report.Line("hw-exceptions", $"virtual call on null: no exception, {Opaque.Null<Node>()!.Virtual()}"); }
        catch (NullReferenceException e) { Report.Line("hw-exceptions", $"virtual call on null: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"string length of null: no exception, {Opaque.Null<string>()!.Length}"); }
        catch (NullReferenceException e) { Report.Line("hw-exceptions", $"string length of null: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"array element of null: no exception, {Opaque.Null<int[]>()![3]}"); }
        catch (NullReferenceException e) { Report.Line("hw-exceptions", $"array element of null: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"10 / 0: no exception, {Divide(10, Opaque.Zero)}"); }
        catch (DivideByZeroException e) { Report.Line("hw-exceptions", $"10 / 0: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"long % 0: no exception, {123L % (long)Opaque.Zero}"); }
        catch (DivideByZeroException e) { Report.Line("hw-exceptions", $"long % 0: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"int.MinValue / -1: no exception, {Divide(int.MinValue, Opaque.MinusOne)}"); }
        catch (ArithmeticException e) { Report.Line("hw-exceptions", $"int.MinValue / -1: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"checked int.MaxValue + 1: no exception, {checked(int.MaxValue + Opaque.Int(1))}"); }
        catch (OverflowException e) { Report.Line("hw-exceptions", $"checked int.MaxValue + 1: {Describe(e)}"); }

        int[] three = new int[3];
        try { Report.Line("hw-exceptions", $"array index 5 of 3: no exception, {three[Opaque.Int(5)]}"); }
        catch (IndexOutOfRangeException e) { Report.Line("hw-exceptions", $"array index 5 of 3: {Describe(e)}"); }

        try { Report.Line("hw-exceptions", $"cast int to string: no exception, {(string)Box(42)}"); }
        catch (InvalidCastException e) { Report.Line("hw-exceptions", $"cast int to string: {e.GetType().FullName}"); }

        Report.Line("hw-exceptions", $"1.0 / 0.0 = {1.0 / (double)Opaque.Zero}, 0.0 / 0.0 is NaN: {double.IsNaN(0.0 / (double)Opaque.Zero)}");

        // The faults must also work again and again, and on threads other than the main thread.
        int caught = 0;
        var thread = new Thread(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                try { ReadField(Opaque.Null<Node>()); } catch (NullReferenceException) { caught++; }
                try { Divide(i, Opaque.Zero); } catch (DivideByZeroException) { caught++; }
            }
        });
        thread.Start();
        thread.Join();
        Report.Line("hw-exceptions", $"200 faults caught on a second thread: {caught}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object Box(int value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long SumTo(int n) => n == 0 ? 0 : n + SumTo(n - 1);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long GuardedSumTo(int n)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) return long.MinValue;
        if (n == 0) return 0;
        long rest = GuardedSumTo(n - 1);
        return rest == long.MinValue ? rest : n + rest;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Depth(int n)
    {
        Span<byte> frame = stackalloc byte[128];    // a bigger frame per level
        frame[n % 128] = (byte)n;
        return n == 0 ? frame[0] : 1 + Depth(n - 1) + frame[n % 128] - (byte)n;
    }

    public static void Recursion()
    {
        Report.Line("recursion", $"sum 1..10000 recursively on the main thread = {SumTo(10_000)}");

        // .NET on linux-musl gives new threads 1.5 MiB stacks: its targets link with -z stack-size=1572864
        // and musl takes the default thread stack size from PT_GNU_STACK. musl's own default is 128 KiB,
        // too small for this recursion, and overflowing it would kill the whole run; so each level asks the
        // runtime whether the stack still has room (it keeps 128 KiB in reserve) and gives up if not.
        long guarded = 0;
        var probe = new Thread(() => guarded = GuardedSumTo(10_000));
        probe.Start();
        probe.Join();
        Report.Line("recursion", $"sum 1..10000 fits a new thread's default stack: {guarded == 50005000}");

        long onThread = 0;
        var thread = new Thread(() => onThread = SumTo(10_000), maxStackSize: 1536 * 1024);
        thread.Start();
        thread.Join();
        Report.Line("recursion", $"sum 1..10000 recursively on a thread with a 1.5 MiB stack = {onThread}");

        int depth = 0;
        var framed = new Thread(() => depth = Depth(2_000), maxStackSize: 1 << 20);
        framed.Start();
        framed.Join();
        Report.Line("recursion", $"2000 frames of >128 bytes on a thread with a 1 MiB stack: depth {depth}");
    }
}
