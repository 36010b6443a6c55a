using Kernel.LinuxAbi;
using static Kernel.Files.Vfs;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid> for the one process (pid 1) and /proc/self, a link to it as on Linux: .NET reads
    // /proc/self/... for its own process and /proc/<pid>/... when it lists processes (GetProcessesByName).
    // The files that describe the process as a whole; AppFileTree adds the others (exe, maps, ...).
    internal static unsafe class ProcessDirectory
    {
        public static DirectoryNode Build(DirectoryNode proc, SuperBlock procfs)
        {
            var process = new DirectoryNode(procfs, 0x16D);   // dr-xr-xr-x
            DirectorySynchronizer.AddNumbered(proc, Tasks.ProcessId, process);
            byte* name = stackalloc byte[process.Name.Length];
            for (int i = 0; i < process.Name.Length; i++) name[i] = process.Name[i];
            Add(proc, "self", SymlinkNode.Create(procfs, name, process.Name.Length));
            AddGenerated(process, "stat", new TaskStatFile(0));
            AddGenerated(process, "status", new TaskStatusFile(0));
            AddGenerated(process, "cmdline", new ProcessStringsFile(false));
            AddGenerated(process, "environ", new ProcessStringsFile(true)).Mode = FileTypeBits.Regular | 0x100;   // r--------
            AddGenerated(process, "limits", new ResourceLimitsFile());
            AddDirectory(process, "task", procfs, 0x16D).Synchronizer = new TaskDirectory();
            AddDirectory(process, "fd", procfs, 0x140).Synchronizer = new DescriptorDirectory();   // dr-x------
            return process;
        }
    }
}
