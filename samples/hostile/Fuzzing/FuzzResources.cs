using System.Text;

namespace Hostile.Fuzzing;

/// <summary>
/// What the fuzzer hands to the calls it makes: a scratch buffer between two PROT_NONE guard pages (a copy that
/// runs past it must be refused, not land in the app's heap), a read-only page of constants the kernel may read
/// (timeouts of 0 and 1 microsecond, paths, iovecs into the scratch buffer, a loopback address), and its own
/// non-blocking descriptors at fixed numbers from 100. <see cref="Sweep"/> closes descriptors the random calls
/// opened and puts back any of its own they closed or replaced.
/// </summary>
internal sealed unsafe class FuzzResources
{
    public const int FirstDescriptor = 100;
    // New descriptors take the lowest free number, and dup2/dup3 targets are 200..299: the sweep looks below this.
    private const int SweptDescriptors = 320;
    private const int Page = 4096;

    public readonly long Scratch, Paths, SmallTimespec, ZeroTimespec, Iovecs, Loopback;
    public readonly IReadOnlyList<long> Descriptors;
    private readonly HashSet<int> _openBefore = new();
    private readonly string _file;
    private readonly Func<int>[] _slots;

    public FuzzResources()
    {
        long region = Sys.Call(Sys.Mmap, 0, SyscallFuzzer.ScratchSize + 2 * SyscallFuzzer.GuardSize, Sys.ProtNone, Sys.MapPrivate | Sys.MapAnonymous, -1, 0);
        if (region < 0) throw new InvalidOperationException($"mmap of the scratch buffer: {Sys.Outcome(region)}");
        Scratch = region + SyscallFuzzer.GuardSize;
        Sys.Call(Sys.Mprotect, Scratch, SyscallFuzzer.ScratchSize, Sys.ProtRead | Sys.ProtWrite);

        long constants = Sys.Call(Sys.Mmap, 0, Page, Sys.ProtRead | Sys.ProtWrite, Sys.MapPrivate | Sys.MapAnonymous, -1, 0);
        byte* c = (byte*)constants;
        ZeroTimespec = constants;                                       // {0, 0}
        SmallTimespec = constants + 16; ((long*)c)[3] = 1000;          // {0, 1000 ns}
        Loopback = constants + 32;                                      // 127.0.0.1:9
        *(ushort*)(c + 32) = 2; c[35] = 9; c[36] = 127; c[39] = 1;
        Iovecs = constants + 64;                                        // four iovecs of 256 bytes into the scratch buffer
        for (int i = 0; i < 4; i++) { ((long*)(c + 64))[2 * i] = Scratch + 4096 * (i + 1); ((long*)(c + 64))[2 * i + 1] = 256; }
        _file = Path.Combine(Path.GetTempPath(), $"hostile-fuzz-{Environment.ProcessId}");
        Paths = constants + 256;                                        // the fuzzer's file, "/", "." and a missing name
        int at = 256;
        foreach (string p in new[] { _file, "/", ".", _file + "-missing", "/proc/self/status" })
        {
            at += Encoding.ASCII.GetBytes(p, new Span<byte>(c + at, 300));
            c[at++] = 0;
        }
        Sys.Call(Sys.Mprotect, constants, Page, Sys.ProtRead);

        for (int fd = 0; fd < SweptDescriptors; fd++)
            if (Sys.Call(Sys.Fcntl, fd, 1 /* F_GETFD */) >= 0) _openBefore.Add(fd);

        File.WriteAllBytes(_file, new byte[8192]);
        _slots =
        [
            () => PipeEnd(0), () => PipeEnd(1),
            () => (int)Sys.Call(Sys.EventFd2, 1, Sys.ONonblock),
            () => (int)Sys.Call(Sys.Open, Paths, Sys.ORdwr | Sys.ONonblock),
            () => (int)Sys.Call(Sys.Open, Paths + _file.Length + 1, Sys.ODirectory),
            () => (int)Sys.Call(Sys.EpollCreate1, 0),
            () => (int)Sys.Call(Sys.Socket, 2, 2 | Sys.ONonblock, 0),             // UDP
            () => (int)Sys.Call(Sys.Socket, 2, 1 | Sys.ONonblock, 0),             // TCP
            () => (int)Sys.Call(294 /* inotify_init1 */, Sys.ONonblock),
        ];
        var descriptors = new List<long>();
        for (int i = 0; i < _slots.Length; i++) descriptors.Add(FirstDescriptor + i);
        descriptors.AddRange([-1, 99_999, -100 /* AT_FDCWD */]);
        Descriptors = descriptors;
        Sweep();
    }

    private static int PipeEnd(int end)
    {
        int* p = stackalloc int[2];
        if (Sys.Call(Sys.Pipe2, (long)p, Sys.ONonblock) != 0) return -1;
        Sys.Call(Sys.Close, p[1 - end]);
        return p[end];
    }

    public void FillScratch(Xoshiro256 random)
    {
        for (int i = 0; i < SyscallFuzzer.ScratchSize / 8; i++) ((ulong*)Scratch)[i] = random.Next();
    }

    public void Sweep()
    {
        for (int fd = 3; fd < SweptDescriptors; fd++)
            if (!_openBefore.Contains(fd) && (fd < FirstDescriptor || fd >= FirstDescriptor + _slots.Length))
                Sys.Call(Sys.Close, fd);
        for (int i = 0; i < _slots.Length; i++)
        {
            int slot = FirstDescriptor + i;
            // A slot is kept if it is open and still non-blocking (a dup2 from another of ours keeps that).
            long flags = Sys.Call(Sys.Fcntl, slot, 3 /* F_GETFL */);
            if (flags >= 0 && ((flags & Sys.ONonblock) != 0 || i is 3 or 4 or 5)) continue;
            int fresh = _slots[i]();
            if (fresh < 0) continue;
            Sys.Call(292 /* dup3 */, fresh, slot, 0);
            Sys.Call(Sys.Close, fresh);
        }
    }

    /// <summary>Removes the fuzzer's file if it still can: random renames, links and modes may have made it something else.</summary>
    public void Delete()
    {
        try { File.Delete(_file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
