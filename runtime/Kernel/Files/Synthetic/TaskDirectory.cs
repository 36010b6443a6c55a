using Kernel.Threads;
using static Kernel.Files.Vfs;

namespace Kernel.Files.Synthetic
{
    // /proc/<pid>/task: one directory per live thread, named by its id, with its stat and status
    // (TaskStatFile, TaskStatusFile). .NET lists it for Process.Threads.
    internal sealed class TaskDirectory : DirectorySynchronizer
    {
        public override void Synchronize(DirectoryNode directory)
        {
            for (VfsNode child = directory.FirstChild, next; child != null; child = next)
            {
                next = child.NextSibling;
                long id = NameAsNumber(child);
                if (id <= 0 || Tasks.Find((int)id) == null) Remove(directory, child);
            }
            for (int i = 0; i < Scheduler.ThreadCount; i++)
            {
                Thread thread = Scheduler.ThreadAt(i);
                if (thread.State == ThreadState.Dead || HasEntry(directory, thread.Id)) continue;
                var task = new DirectoryNode(directory.FileSystem, 0x16D);   // dr-xr-xr-x
                AddNumbered(directory, (ulong)thread.Id, task);
                AddGenerated(task, "stat", new TaskStatFile(thread.Id));
                AddGenerated(task, "status", new TaskStatusFile(thread.Id));
            }
        }

        private static bool HasEntry(DirectoryNode directory, int id)
        {
            for (VfsNode child = directory.FirstChild; child != null; child = child.NextSibling)
                if (NameAsNumber(child) == id) return true;
            return false;
        }
    }
}
