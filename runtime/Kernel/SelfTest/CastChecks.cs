#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;

namespace Kernel.SelfTest
{
    // uk.selftest=casts: `is`, `as` and checked casts go through the core library's TypeCast on
    // objects whose types ILC cannot see statically (they come out of an object[]); uk.selftest=bad-cast:
    // a failing checked cast throws InvalidCastException, which in the kernel is a panic.
    internal static class CastChecks
    {
        private interface IShape { }
        private interface IRound : IShape { }
        private class Shape : IShape { }
        private class Circle : Shape, IRound { }
        private sealed class Dot : Circle { }
        private sealed class Line : Shape { }

        private static object[] Objects()
            => new object[] { new Shape(), new Circle(), new Dot(), new Line(), "text", new int[2], new object[1], 42 };

        public static void Run()
        {
            object[] o = Objects();
            // One group per object: S = Shape, C = Circle, R = IRound, I = IShape, T = string, A = Array
            // (a boxed int is none of them).
            string expected = "SI|SCRI|SCRI|SI|T|A|A||";
            char[] actual = new char[64];
            int n = 0;
            for (int i = 0; i < o.Length; i++)
            {
                if (o[i] is Shape) actual[n++] = 'S';
                if (o[i] as Circle != null) actual[n++] = 'C';
                if (o[i] is IRound) actual[n++] = 'R';
                if (o[i] is IShape) actual[n++] = 'I';
                if (o[i] is string) actual[n++] = 'T';
                if (o[i] is System.Array) actual[n++] = 'A';
                actual[n++] = '|';
            }
            Circle checkedCast = (Circle)o[2];
            bool ok = n == expected.Length && checkedCast != null;
            for (int i = 0; ok && i < n; i++) ok = actual[i] == expected[i];

            KernelConsole.Prefix();
            KernelConsole.Write("selftest casts: ");
            for (int i = 0; i < n; i++) KernelConsole.Write(actual[i]);
            KernelConsole.WriteLine(ok ? " (ok)" : " (WRONG)");
            if (!ok) Machine.Exit(Machine.PanicExitStatus);
        }

        public static void FailingCast()
        {
            object[] o = Objects();
            Circle circle = (Circle)o[3];   // a Line
            KernelConsole.WriteLine(circle == null ? "null" : "cast succeeded");
        }
    }
}
#endif
