using Kernel.Threads;

namespace Kernel.Files.Events
{
    // Readiness changes of open files. A file whose readiness may have changed (data written to a pipe,
    // space freed, an end closed, an eventfd counter moved) calls Changed: that bumps its EventCount (what
    // EPOLLET compares) and wakes AnyChange, the one queue poll/ppoll/epoll_wait park on -- a wait over
    // many files needs one queue, and with one CPU and few waiters a spurious restart costs little.
    internal static class FileEvents
    {
        public static readonly WaitQueue AnyChange = new WaitQueue();

        public static void Changed(OpenFile file)
        {
            if (file != null) file.EventCount++;
            AnyChange.WakeAll();
        }
    }
}
