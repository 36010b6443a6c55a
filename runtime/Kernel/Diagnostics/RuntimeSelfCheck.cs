using System.Runtime.CompilerServices;

namespace Kernel.Diagnostics
{
    // Evidence that ILC's start-up contract is honoured in the kernel: module initializers run (this
    // one records when), and reference-type statics live in real heap objects (field notes, trap 2:
    // without start-up allocation, writes here would land next to a MethodTable).
    internal static class RuntimeSelfCheck
    {
        public static ulong ModuleInitializerTsc;
        private static object[] s_gcStaticProbe;

        [ModuleInitializer]
        internal static void RecordModuleInitializer() => ModuleInitializerTsc = Arch.Cpu.ReadTimeStampCounter();

        /// <summary>Writes through a GC static and reads it back; null when fine, else the problem.</summary>
        public static string CheckGCStatics()
        {
            s_gcStaticProbe = new object[3];
            s_gcStaticProbe[1] = "probe";
            object[] probe = s_gcStaticProbe;
            if (probe == null || probe.Length != 3) return "GC static lost its value";
            if ((object)probe[1] != (object)"probe") return "GC static array element lost";
            return null;
        }
    }
}
