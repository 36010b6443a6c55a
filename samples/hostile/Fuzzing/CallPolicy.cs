namespace Hostile.Fuzzing;

/// <summary>
/// Which random calls the fuzzer makes and how they are defused. Left out: calls that end the app or make
/// processes (exit, exit_group, execve, fork, vfork, clone, clone3), send it signals (kill, tkill, tgkill,
/// alarm, timers), wait for a signal forever (pause, rt_sigsuspend), change the machine (reboot, mount,
/// settimeofday, ...) or rewind the thread (rt_sigreturn). Defused: descriptor arguments come only from the
/// fuzzer's own descriptors (numbered from 100, all non-blocking) or invalid numbers, so the runtime's own
/// pipes and stdout are never touched; every blocking call gets a timeout of at most 1 microsecond; calls that
/// change the app's memory, signal handlers, signal mask, FS base or limits get only kernel or non-canonical
/// addresses, which must be refused.
/// </summary>
internal static class CallPolicy
{
    private static readonly HashSet<long> Denied =
    [
        15, 34, 56, 57, 58, 59, 60, 62, 130, 200, 231, 234, 322, 435,   // rt_sigreturn pause clone fork vfork execve exit kill rt_sigsuspend tkill exit_group tgkill execveat clone3
        37, 38, 222, 223, 224, 225, 226, 283, 286, 287,                 // alarm setitimer timer_* timerfd_settime/gettime
        129, 297, 424, 434,                                             // rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal pidfd_open
        101, 310, 311,                                                  // ptrace process_vm_readv/writev
        155, 159, 161, 163, 164, 165, 166, 167, 168, 169, 170, 171,     // pivot_root adjtimex chroot acct settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname
        175, 176, 227, 246, 272, 305, 308, 313, 320, 135, 436,         // init/delete_module clock_settime kexec unshare clock_adjtime setns finit_module kexec_file personality close_range
        218,                                                            // set_tid_address: the thread's join word is musl's
        105, 106, 113, 114, 117, 119, 122, 123,                         // setuid setgid setreuid setregid setresuid setresgid setfsuid setfsgid
    ];

    // Descriptor arguments (by position) of the calls the kernel implements.
    private static readonly Dictionary<long, int[]> DescriptorArguments = new()
    {
        [0] = [0], [1] = [0], [3] = [0], [5] = [0], [8] = [0], [16] = [0], [17] = [0], [18] = [0], [19] = [0], [20] = [0],
        [32] = [0], [33] = [0, 1], [40] = [0, 1], [42] = [0], [43] = [0], [44] = [0], [45] = [0], [46] = [0], [47] = [0],
        [48] = [0], [49] = [0], [50] = [0], [51] = [0], [52] = [0], [54] = [0], [55] = [0], [72] = [0], [73] = [0],
        [74] = [0], [75] = [0], [77] = [0], [81] = [0], [91] = [0], [93] = [0], [138] = [0], [217] = [0], [221] = [0],
        [232] = [0], [233] = [0, 2], [254] = [0], [255] = [0], [257] = [0], [258] = [0], [260] = [0], [261] = [0],
        [262] = [0], [263] = [0], [264] = [0, 2], [266] = [1], [267] = [0], [268] = [0], [269] = [0], [280] = [0],
        [281] = [0], [288] = [0], [292] = [0, 1], [295] = [0], [296] = [0], [316] = [0, 2], [326] = [0, 2], [332] = [0],
        [439] = [0], [441] = [0], [78] = [0], [187] = [0], [190] = [0], [275] = [0, 2], [276] = [0, 1],
    };

    /// <summary>
    /// The calls .NET apps make (the field notes' strace of hello and an ASP.NET app), which a kernel implements
    /// first: half the random numbers come from here, so most calls get past "not implemented".
    /// </summary>
    public static readonly long[] Favoured =
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 24, 25, 28, 32, 33, 35, 39, 40, 41, 42, 43,
        44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 63, 72, 73, 74, 77, 79, 80, 81, 82, 83, 84, 87, 89, 90, 95, 96, 97,
        98, 99, 102, 107, 131, 137, 138, 157, 158, 186, 202, 203, 204, 213, 217, 221, 228, 229, 230, 232, 233, 239, 254,
        255, 257, 262, 263, 267, 271, 273, 281, 284, 288, 290, 291, 292, 293, 295, 296, 302, 309, 318, 324, 326, 439, 441,
    ];

    public static bool Allowed(long nr) => !Denied.Contains(nr);

    /// <summary>Adjusts the arguments of call <paramref name="nr"/>; false: do not make it.</summary>
    public static bool Defuse(long nr, long[] a, SyscallFuzzer f)
    {
        if (!Allowed(nr)) return false;
        if (DescriptorArguments.TryGetValue(nr, out int[]? positions))
            foreach (int p in positions) a[p] = f.NextDescriptor();
        switch (nr)
        {
            case 3: if (a[0] >= 0 && a[0] < 100) a[0] = -1; break;                                       // close: never 0..99
            case 33: case 292: a[1] = 200 + f.Below(100); break;                                         // dup2/dup3 onto 200..299 (swept)
            case 7: a[2] = 0; break;                                                                     // poll: no wait
            case 271: a[2] = f.ZeroTimespec; break;                                                     // ppoll
            case 23: a[4] = f.ZeroTimespec; break;                                                      // select: a zero timeval (same 16 bytes)
            case 270: a[4] = f.ZeroTimespec; break;                                                     // pselect6
            case 232: case 281: a[3] = 0; break;                                                        // epoll_wait / epoll_pwait
            case 441: a[3] = f.ZeroTimespec; break;                                                     // epoll_pwait2
            case 35: a[0] = TimeoutOrKernel(f); break;                                                  // nanosleep
            case 230: a[2] = TimeoutOrKernel(f); a[1] &= 1; break;                                     // clock_nanosleep
            case 128: a[2] = TimeoutOrKernel(f); break;                                                 // rt_sigtimedwait
            case 202: a[3] = TimeoutOrKernel(f); break;                                                 // futex: every wait times out
            case 61: a[2] |= 1; break;                                                                  // wait4: WNOHANG
            case 247: a[3] |= 1; break;                                                                 // waitid: WNOHANG
            case 72: if (a[1] is 4 or 7 or 38 or 8 or 10) a[1] = 1; break;                              // fcntl: no F_SETFL/F_SETLKW/F_OFD_SETLKW/F_SETOWN/F_SETSIG
            case 73: a[1] |= 4; break;                                                                  // flock: LOCK_NB
            case 16: if ((a[1] & 0xFFFF_FFFF) is 0x5421 or 0x5452) a[1] = 0x541B; break;               // ioctl: not FIONBIO/FIOASYNC
            case 9:                                                                                     // mmap: MAP_FIXED only over kernel ranges
                if ((a[3] & (0x10 | 0x100000)) != 0) a[0] = f.KernelPage();
                if ((ulong)a[1] > 64 << 20) a[3] &= ~(0x8000L | 0x2000L);                             // no MAP_POPULATE/MAP_LOCKED of big ones
                break;
            case 10: case 11: case 28: case 12: case 216: case 329: a[0] = f.KernelPage(); break;     // mprotect munmap madvise brk remap_file_pages pkey_mprotect
            case 25: a[0] = f.KernelPage(); a[4] = f.KernelPage(); break;                              // mremap
            case 13: a[1] = KernelOrNull(f); break;                                                     // rt_sigaction: never a new action
            case 14: a[1] = KernelOrNull(f); break;                                                     // rt_sigprocmask: never a new mask
            case 131: a[0] = KernelOrNull(f); break;                                                    // sigaltstack
            case 158: if (a[0] is 0x1001 or 0x1002) a[1] = f.KernelPage(); break;                     // arch_prctl: SET_FS/SET_GS only outside
            case 157: if (a[0] is 22 or 26 or 35) return false; break;                                  // prctl: no seccomp, TSC, PR_SET_MM
            case 160: a[1] = f.KernelPage(); break;                                                     // setrlimit
            case 302: a[2] = KernelOrNull(f); break;                                                    // prlimit64: never a new limit
            case 273: a[0] = f.KernelPage(); break;                                                     // set_robust_list: the kernel walks it at exit
            case 77: case 76: if ((ulong)a[1] > 1 << 20) a[1] &= 0xFFFFF; break;                      // (f)truncate: the tmpfs is guest RAM
            case 17: case 18: case 295: case 296: if ((ulong)a[3] > 1 << 20) a[3] &= 0xFFFFF; break; // pread/pwrite offsets: same
        }
        return true;
    }

    /// <summary>After the call: a mapping it made is the fuzzer's own memory, given back at once.</summary>
    public static void Undo(long nr, long[] a, long result)
    {
        if (nr == 9 && (result >= 0 || result < -4095)) Sys.Call(Sys.Munmap, result, a[1]);
    }

    private static long TimeoutOrKernel(SyscallFuzzer f) => f.Below(3) switch { 0 => f.KernelPage(), 1 => f.ZeroTimespec, _ => f.SmallTimespec };

    private static long KernelOrNull(SyscallFuzzer f) => f.Below(3) == 0 ? 0 : f.KernelPage();
}
