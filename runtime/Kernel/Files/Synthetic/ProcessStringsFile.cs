using Kernel.Memory;
using Kernel.Process;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/cmdline and environ: the argument or environment strings as they are now in the app's
    // memory (the runs ProcessStack laid out), each NUL-terminated, as Linux reads them from
    // mm->arg_start..arg_end and env_start..env_end. Pages the app has unmapped read as nothing.
    internal sealed unsafe class ProcessStringsFile : ContentGenerator
    {
        private readonly bool _environment;

        public ProcessStringsFile(bool environment) { _environment = environment; }

        public override void Generate(TextBuilder o)
        {
            ulong start = _environment ? ProcessIdentity.EnvironmentStart : ProcessIdentity.ArgumentsStart;
            ulong end = _environment ? ProcessIdentity.EnvironmentEnd : ProcessIdentity.ArgumentsEnd;
            if (end <= start || !UserAddressSpace.IsAccessible(start, end - start, false)) return;
            Arch.UserAccess.Begin();
            o.Append((byte*)start, (long)(end - start));
            Arch.UserAccess.End();
        }
    }
}
