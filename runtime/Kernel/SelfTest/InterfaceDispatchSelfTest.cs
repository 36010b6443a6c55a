#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Boot;
using Kernel.Console;
using Kernel.Diagnostics;

namespace Kernel.SelfTest
{
    // uk.selftest=interface: interface calls of every shape ILC compiles into dispatch cells must reach
    // their implementations (runtime/Core/Internal/Runtime/InterfaceDispatch.cs); uk.selftest=
    // interface-missing: a call the object cannot answer must stop with the call site named.
    internal static unsafe class InterfaceDispatchSelfTest
    {
        // Every interface has at least four implementations, reached through arrays filled at run time,
        // so ILC emits real dispatch cells (with one or two implementations it devirtualizes instead).

        private interface IProbe { int Value(); }
        private sealed class Probe : IProbe { public int Value() => 7; }
        private sealed class OtherProbe : IProbe { public int Value() => 8; }
        private sealed class ThirdProbe : IProbe { public int Value() => 9; }
        private sealed class FourthProbe : IProbe { public int Value() => 10; }
        // A finalizer adds a MethodTable field before the sealed vtable the implementation lives in.
        private class BaseProbe : IProbe { public int Value() => 11; ~BaseProbe() { } }
        private sealed class InheritingProbe : BaseProbe { }                 // implementation from the base
        private class VirtualProbe : IProbe { public virtual int Value() => 12; }
        // A boxed struct: the dispatch map leads to an unboxing stub that passes the struct's data as this.
        private struct StructProbe : IProbe { public int Number; public int Value() => Number; }
        private sealed class OverridingProbe : VirtualProbe { public override int Value() => 13; }

        // Two methods (slot 0 and slot 1), some implemented explicitly.
        private interface IMeasure { int Small(); int Large(); }
        private sealed class Inch : IMeasure { public int Small() => 20; public int Large() => 21; }
        private sealed class Foot : IMeasure { public int Small() => 22; int IMeasure.Large() => 23; }
        private sealed class Yard : IMeasure { int IMeasure.Small() => 24; int IMeasure.Large() => 25; }
        private sealed class Mile : IMeasure { public int Small() => 26; public int Large() => 27; }

        // An interface inherited by another: Id() called through an IPriced is a call on INamed.
        private interface INamed { int Id(); }
        private interface IPriced : INamed { int Price(); }
        private sealed class Apple : IPriced { public int Id() => 30; public int Price() => 31; }
        private sealed class Pear : IPriced { int INamed.Id() => 32; public int Price() => 33; }
        private sealed class Plum : IPriced { public int Id() => 34; int IPriced.Price() => 35; }
        private class Fig : IPriced { public virtual int Id() => 36; public int Price() => 37; }

        // A default interface method, which itself calls through the interface.
        private interface IGreeter { int Base(); int Twice() => Base() * 2; }
        private sealed class Hello : IGreeter { public int Base() => 40; }
        private sealed class Hi : IGreeter { public int Base() => 41; }
        private sealed class Hey : IGreeter { public int Base() => 42; public int Twice() => 99; }
        private sealed class Yo : IGreeter { public int Base() => 43; }

        // Many arguments: six integer registers (with `this`), eight xmm registers and the stack; a
        // struct returned in rax:rdx and one returned through a hidden buffer.
        private struct Pair { public long A, B; }
        private struct Triple { public long A, B, C; }
        private interface ICalculator
        {
            double Weigh(int a, double b, long c, double d, int e, double f, long g, double h,
                         double i, double j, double k, double l, double m, double n, int o);
            Pair Split(long value);
            Triple Spread(long a, long b, long c);
        }

        private static double WeighedSum(int a, double b, long c, double d, int e, double f, long g, double h,
                                         double i, double j, double k, double l, double m, double n, int o)
            => a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k
               + 12 * l + 13 * m + 14 * n + 15 * o;

        private sealed class Scale1 : ICalculator
        {
            public double Weigh(int a, double b, long c, double d, int e, double f, long g, double h, double i, double j, double k, double l, double m, double n, int o)
                => 1 * WeighedSum(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o);
            public Pair Split(long v) => new Pair { A = v * 1, B = v + 1 };
            public Triple Spread(long a, long b, long c) => new Triple { A = a * 1, B = b * 1, C = c * 1 };
        }
        private sealed class Scale2 : ICalculator
        {
            public double Weigh(int a, double b, long c, double d, int e, double f, long g, double h, double i, double j, double k, double l, double m, double n, int o)
                => 2 * WeighedSum(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o);
            public Pair Split(long v) => new Pair { A = v * 2, B = v + 2 };
            public Triple Spread(long a, long b, long c) => new Triple { A = a * 2, B = b * 2, C = c * 2 };
        }
        private sealed class Scale3 : ICalculator
        {
            public double Weigh(int a, double b, long c, double d, int e, double f, long g, double h, double i, double j, double k, double l, double m, double n, int o)
                => 3 * WeighedSum(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o);
            public Pair Split(long v) => new Pair { A = v * 3, B = v + 3 };
            public Triple Spread(long a, long b, long c) => new Triple { A = a * 3, B = b * 3, C = c * 3 };
        }
        private sealed class Scale4 : ICalculator
        {
            public double Weigh(int a, double b, long c, double d, int e, double f, long g, double h, double i, double j, double k, double l, double m, double n, int o)
                => 4 * WeighedSum(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o);
            public Pair Split(long v) => new Pair { A = v * 4, B = v + 4 };
            public Triple Spread(long a, long b, long c) => new Triple { A = a * 4, B = b * 4, C = c * 4 };
        }

        private static long[] s_interfaceResults;
        private static int s_interfaceCount;
        private static bool s_interfaceOk;

        private static void Expect(long actual, long expected)
        {
            if (s_interfaceCount < s_interfaceResults.Length) s_interfaceResults[s_interfaceCount++] = actual;
            if (actual != expected) s_interfaceOk = false;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static IProbe[] MakeProbes()
        {
            IProbe[] probes = new IProbe[9];
            probes[0] = new Probe();
            probes[1] = new OtherProbe();
            probes[2] = new ThirdProbe();
            probes[3] = new FourthProbe();
            probes[4] = new BaseProbe();
            probes[5] = new InheritingProbe();
            probes[6] = new VirtualProbe();
            probes[7] = new OverridingProbe();
            probes[8] = new StructProbe { Number = 14 };
            return probes;
        }

        public static void CallThroughInterfaces()
        {
            s_interfaceResults = new long[64];
            s_interfaceCount = 0;
            s_interfaceOk = true;

            // Two rounds through the same call site: the second hits the per-cell cache.
            IProbe[] probes = MakeProbes();
            for (int round = 0; round < 2; round++)
                for (int i = 0; i < probes.Length; i++)
                {
                    int value = probes[i].Value();
                    long expected = 7 + i - (i >= 5 ? 1 : 0);
                    if (round == 0) Expect(value, expected);
                    else if (value != expected) s_interfaceOk = false;
                }

            IMeasure[] measures = { new Inch(), new Foot(), new Yard(), new Mile() };
            for (int i = 0; i < measures.Length; i++)
            {
                Expect(measures[i].Small(), 20 + 2 * i);
                Expect(measures[i].Large(), 21 + 2 * i);
            }

            IPriced[] goods = { new Apple(), new Pear(), new Plum(), new Fig() };
            for (int i = 0; i < goods.Length; i++)
            {
                Expect(goods[i].Id(), 30 + 2 * i);
                Expect(goods[i].Price(), 31 + 2 * i);
            }

            IGreeter[] greeters = { new Hello(), new Hi(), new Hey(), new Yo() };
            for (int i = 0; i < greeters.Length; i++)
                Expect(greeters[i].Twice(), i == 2 ? 99 : 2 * (40 + i));

            ICalculator[] calculators = { new Scale1(), new Scale2(), new Scale3(), new Scale4() };
            double reference = WeighedSum(1, 0.5, 3, 0.25, 5, 1.5, 7, 2.5, 3.5, 4.5, 5.5, 6.5, 8, 8.5, 9);
            for (int i = 0; i < calculators.Length; i++)
            {
                long scale = i + 1;
                double weight = calculators[i].Weigh(1, 0.5, 3, 0.25, 5, 1.5, 7, 2.5, 3.5, 4.5, 5.5, 6.5, 8, 8.5, 9);
                Expect((long)weight, (long)(scale * reference));
                if (weight != scale * reference) s_interfaceOk = false;
                Pair pair = calculators[i].Split(100);
                Expect(pair.A, 100 * scale);
                Expect(pair.B, 100 + scale);
                Triple triple = calculators[i].Spread(5, 6, 7);
                Expect(triple.A + triple.B + triple.C, 18 * scale);
                if (triple.A != 5 * scale || triple.B != 6 * scale || triple.C != 7 * scale) s_interfaceOk = false;
            }

            KernelConsole.Prefix();
            KernelConsole.Write("selftest interface:");
            for (int i = 0; i < s_interfaceCount; i++)
            {
                KernelConsole.Write(' ');
                KernelConsole.WriteSigned(s_interfaceResults[i]);
            }
            KernelConsole.WriteLine(s_interfaceOk ? " (ok)" : " (WRONG)");
            if (!s_interfaceOk) Machine.Exit(Machine.PanicExitStatus);
        }

        // An object that does not implement the interface, seen through it: the dispatch has no
        // implementation to find and must panic naming the call site.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static IProbe MakeImpostor() => System.Runtime.CompilerServices.Unsafe.As<IProbe>(new object());

        public static void CallUnimplementedInterface()
        {
            IProbe impostor = MakeImpostor();
            KernelConsole.WriteDecimal((ulong)impostor.Value());
        }
    }
}
#endif
