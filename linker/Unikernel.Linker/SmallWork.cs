namespace Unikernel.Linker;

/// <summary>
/// Parallel.For for work whose size is known: below a threshold it runs on the calling thread. Waking the
/// pool's threads costs tens of microseconds on a quiet machine and milliseconds on a busy one (a small
/// link's relocation pass or a 1 MB hash then waited longer for its helpers than the work took).
/// Results never depend on which path ran: every caller writes only its own slots.
/// </summary>
public static class SmallWork
{
    public static void For(int count, long size, long parallelFrom, Action<int> body)
    {
        if (size < parallelFrom || count < 2)
        {
            for (int i = 0; i < count; i++)
                body(i);
            return;
        }
        Parallel.For(0, count, body);
    }
}
