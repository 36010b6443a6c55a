using Internal.Runtime.CompilerHelpers;

namespace System.Runtime.CompilerServices
{
    // ILC keeps, for each type with a class constructor it could not pre-run at compile time, a context
    // holding the cctor's address until it has run. Its generated code calls these before the first
    // static access. Without this class ILC silently moves such cctors into a start-up list that the
    // kernel would never run (field notes, trap 1).
    internal static unsafe class ClassConstructorRunner
    {
        private static object CheckStaticClassConstructionReturnGCStaticBase(ref StaticClassConstructionContext context, object gcStaticBase)
        {
            EnsureClassConstructorRun(ref context);
            return gcStaticBase;
        }

        private static IntPtr CheckStaticClassConstructionReturnNonGCStaticBase(ref StaticClassConstructionContext context, IntPtr nonGcStaticBase)
        {
            EnsureClassConstructorRun(ref context);
            return nonGcStaticBase;
        }

        // One CPU and cctors run with interrupts as they are: a cctor that recursively needs its own
        // type sees the "running" mark and proceeds, as .NET does for recursion on one thread.
        private const nint Running = 1;

        private static void EnsureClassConstructorRun(ref StaticClassConstructionContext context)
        {
            nint cctor = context.cctorMethodAddress;
            if (cctor == 0 || cctor == Running) return;
            context.cctorMethodAddress = Running;
            ((delegate*<void>)cctor)();
            context.cctorMethodAddress = 0;
        }
    }

    public struct StaticClassConstructionContext
    {
        // The cctor's address until it has run; then 0 (1 while it runs).
        public volatile nint cctorMethodAddress;
    }
}
