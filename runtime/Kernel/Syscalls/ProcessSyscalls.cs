using Kernel.Arch;
using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Threads;

namespace Kernel.Syscalls
{
    // The process as a whole: one per image, pid 1, root, its exit is the machine's power-off.
    internal static unsafe class ProcessSyscalls
    {
        public const int ProcessId = 1;
        private const ulong ArchSetGs = 0x1001, ArchSetFs = 0x1002, ArchGetFs = 0x1003, ArchGetGs = 0x1004;
        // The app's GS waits in KERNEL_GS_BASE while the kernel runs (GS_BASE is the per-CPU block; swapgs on return).
        private const uint FsBaseMsr = 0xC000_0100, KernelGsBaseMsr = 0xC000_0102;
        private const ulong PrSetName = 15, PrGetName = 16, PrGetDumpable = 3, PrSetDumpable = 4;
        public const int ResourceCount = 16;
        private const int RlimitStack = 3, RlimitCore = 4, RlimitNoFile = 7;
        private const ulong Infinity = ulong.MaxValue;
        private const int UtsFieldLength = 65;

        private static ulong* s_limits;      // [resource * 2] = soft, [resource * 2 + 1] = hard

        public static void Initialize()
        {
            s_limits = (ulong*)KernelMemory.AllocateZeroed(ResourceCount * 16);
            for (int i = 0; i < ResourceCount; i++) { s_limits[2 * i] = Infinity; s_limits[2 * i + 1] = Infinity; }
            s_limits[2 * RlimitStack] = UserAddressSpace.StackLimit;
            s_limits[2 * RlimitCore] = 0;
            s_limits[2 * RlimitNoFile] = 1024;
            s_limits[2 * RlimitNoFile + 1] = 4096;
        }

        public static long exit_group(SyscallFrame call)
        {
            Process.AppExit.Exit((int)(call.Arg0 & 0xFF));
            return 0;
        }

        public static long getpid(SyscallFrame call) => ProcessId;
        public static long getppid(SyscallFrame call) => 0;
        // The one user (Process/AppUser.cs), always.
        public static long getuid(SyscallFrame call) => Process.AppUser.UserId;
        public static long getgid(SyscallFrame call) => Process.AppUser.GroupId;
        public static long geteuid(SyscallFrame call) => Process.AppUser.UserId;
        public static long getegid(SyscallFrame call) => Process.AppUser.GroupId;

        // arch_prctl(code, address): the thread pointer musl and the runtime's TLS hang off (FS), and GS,
        // which the kernel leaves to the app. A base Linux refuses (EPERM) would fault in the kernel's wrmsr.
        public static long arch_prctl(SyscallFrame call)
        {
            Thread current = Scheduler.Current;
            switch (call.Arg0)
            {
                case ArchSetFs:
                    if (!Signals.UserFrame.IsUserSegmentBase(call.Arg1)) return -Errno.EPERM;
                    current.FsBase = call.Arg1;
                    Cpu.WriteMsr(FsBaseMsr, call.Arg1);
                    return 0;
                case ArchSetGs:
                    if (!Signals.UserFrame.IsUserSegmentBase(call.Arg1)) return -Errno.EPERM;
                    current.GsBase = call.Arg1;
                    Cpu.WriteMsr(KernelGsBaseMsr, call.Arg1);
                    return 0;
                case ArchGetFs:
                case ArchGetGs:
                    if (!UserMemory.IsWritableUserRange(call.Arg1, 8)) return -Errno.EFAULT;
                    *(ulong*)call.Arg1 = call.Arg0 == ArchGetFs ? current.FsBase : current.GsBase;
                    return 0;
                default:
                    return -Errno.EINVAL;
            }
        }

        // uname(buf): what a Linux 6.1 machine says, so version checks in the runtime take their modern paths.
        public static long uname(SyscallFrame call)
        {
            if (!UserMemory.IsWritableUserRange(call.Arg0, 6 * UtsFieldLength)) return -Errno.EFAULT;
            byte* buffer = (byte*)call.Arg0;
            for (int i = 0; i < 6 * UtsFieldLength; i++) buffer[i] = 0;
            Copy(buffer + 0 * UtsFieldLength, "Linux");
            // The node name is the host name (uk.hostname=, DHCP's, else "unikernel"), as sethostname sets it on Linux.
            Net.NetworkConfiguration.Load();
            int nameLength = Net.NetworkConfiguration.HostNameLength < UtsFieldLength ? Net.NetworkConfiguration.HostNameLength : UtsFieldLength - 1;
            for (int i = 0; i < nameLength; i++) buffer[UtsFieldLength + i] = Net.NetworkConfiguration.HostName[i];
            Copy(buffer + 2 * UtsFieldLength, "6.1.0-unikernel");
            Copy(buffer + 3 * UtsFieldLength, "#1 SMP PREEMPT Unikernel");
            Copy(buffer + 4 * UtsFieldLength, "x86_64");
            Copy(buffer + 5 * UtsFieldLength, "(none)");
            return 0;
        }

        // prlimit64(pid, resource, new, old)
        public static long prlimit64(SyscallFrame call)
        {
            if (call.Arg0 != 0 && call.Arg0 != ProcessId) return -Errno.ESRCH;
            return Limit((int)call.Arg1, call.Arg2, call.Arg3);
        }

        /// <summary>The soft and hard limit of <paramref name="resource"/> (0..ResourceCount-1), as getrlimit returns them.</summary>
        public static void GetLimit(int resource, out ulong soft, out ulong hard)
        {
            soft = s_limits[2 * resource];
            hard = s_limits[2 * resource + 1];
        }

        public static long getrlimit(SyscallFrame call) => Limit((int)call.Arg0, 0, call.Arg1);
        public static long setrlimit(SyscallFrame call) => Limit((int)call.Arg0, call.Arg1, 0);

        private static long Limit(int resource, ulong newLimit, ulong oldLimit)
        {
            if (resource < 0 || resource >= ResourceCount) return -Errno.EINVAL;
            if (oldLimit != 0 && !UserMemory.IsWritableUserRange(oldLimit, 16)) return -Errno.EFAULT;
            if (newLimit != 0 && !UserMemory.IsUserRange(newLimit, 16)) return -Errno.EFAULT;
            ulong soft = s_limits[2 * resource], hard = s_limits[2 * resource + 1];
            if (newLimit != 0)
            {
                ulong newSoft = ((ulong*)newLimit)[0], newHard = ((ulong*)newLimit)[1];
                if (newSoft > newHard) return -Errno.EINVAL;
                if (newHard > hard) return -Errno.EPERM;
            }
            if (oldLimit != 0) { ((ulong*)oldLimit)[0] = soft; ((ulong*)oldLimit)[1] = hard; }
            if (newLimit != 0) { s_limits[2 * resource] = ((ulong*)newLimit)[0]; s_limits[2 * resource + 1] = ((ulong*)newLimit)[1]; }
            return 0;
        }

        // sysinfo(info): the real RAM and free pages, so the runtime sizes its GC for this machine.
        public static long sysinfo(SyscallFrame call)
        {
            const int Size = 112;
            if (!UserMemory.IsWritableUserRange(call.Arg0, Size)) return -Errno.EFAULT;
            byte* info = (byte*)call.Arg0;
            for (int i = 0; i < Size; i++) info[i] = 0;
            *(long*)info = (long)(Time.Clock.MonotonicNanoseconds / 1_000_000_000UL);
            *(ulong*)(info + 32) = KernelMemory.RamBytes;
            *(ulong*)(info + 40) = KernelMemory.Pages->FreePageCount * PageAllocator.PageSize;
            *(ushort*)(info + 80) = (ushort)Scheduler.LiveThreads;
            *(uint*)(info + 104) = 1;
            return 0;
        }

        // getrusage(who, usage): the process's user and system time (Scheduler's accounting); the rest of
        // struct rusage stays zero but ru_maxrss.
        public static long getrusage(SyscallFrame call)
        {
            const int Size = 144;
            if (!UserMemory.IsWritableUserRange(call.Arg1, Size)) return -Errno.EFAULT;
            byte* usage = (byte*)call.Arg1;
            for (int i = 0; i < Size; i++) usage[i] = 0;
            ulong cpu = Scheduler.ProcessCpuNanoseconds(), system = Scheduler.ProcessSystemNanoseconds();
            ulong user = cpu > system ? cpu - system : 0;
            ((long*)usage)[0] = (long)(user / 1_000_000_000UL);
            ((long*)usage)[1] = (long)(user % 1_000_000_000UL / 1000);
            ((long*)usage)[2] = (long)(system / 1_000_000_000UL);
            ((long*)usage)[3] = (long)(system % 1_000_000_000UL / 1000);
            ((long*)usage)[4] = (long)(ProcessMemoryFigures.Now().PeakResidentBytes / 1024);   // ru_maxrss in KiB, VmHWM
            return 0;
        }

        // prctl: thread names (per thread, as Linux's comm; the runtime names its threads) and the dumpable flag; nothing else.
        public static long prctl(SyscallFrame call)
        {
            switch (call.Arg0)
            {
                case PrSetName:
                    if (!UserMemory.IsUserRange(call.Arg1, 1)) return -Errno.EFAULT;
                    fixed (byte* name = Scheduler.Current.Name.Bytes)
                    {
                        for (int i = 0; i < ThreadName.Capacity; i++) name[i] = 0;
                        for (int i = 0; i < ThreadName.Capacity - 1; i++)
                        {
                            byte c = UserMemory.IsUserRange(call.Arg1 + (ulong)i, 1) ? ((byte*)call.Arg1)[i] : (byte)0;
                            if (c == 0) break;
                            name[i] = c;
                        }
                    }
                    return 0;
                case PrGetName:
                    if (!UserMemory.IsWritableUserRange(call.Arg1, 16)) return -Errno.EFAULT;
                    fixed (byte* name = Scheduler.Current.Name.Bytes)
                        for (int i = 0; i < ThreadName.Capacity; i++) ((byte*)call.Arg1)[i] = name[i];
                    return 0;
                case PrGetDumpable: return 1;
                case PrSetDumpable: return 0;
                default: return -Errno.EINVAL;
            }
        }

        // fork() and vfork(): one image runs one process, so there is never a child. fork(2)'s own answer for
        // a platform that cannot fork is ENOSYS; .NET's Process.Start (vfork) then throws Win32Exception
        // "Function not implemented" for a program that exists, after its own ENOENT/EACCES checks have
        // already failed the usual case of a program the image does not have. Said once on the console.
        public static long fork(SyscallFrame call) => NoNewProcess();
        public static long vfork(SyscallFrame call) => NoNewProcess();

        private static bool s_forkReported;

        private static long NoNewProcess()
        {
            if (!s_forkReported)
            {
                s_forkReported = true;
                Console.KernelConsole.Prefix();
                Console.KernelConsole.WriteLine("fork, vfork, execve: the image runs one process and starts no other program (ENOSYS)");
            }
            return -Errno.ENOSYS;
        }

        // execve(path, argv, envp): what cannot be executed fails as on Linux (ENOENT, ENOTDIR, ELOOP; EACCES
        // for anything but a regular file with an execute bit); a program that could be would replace the
        // app, which this kernel does not do (ENOSYS).
        public static long execve(SyscallFrame call)
        {
            long length = UserPath.Copy(call.Arg0, UserPath.First);
            if (length < 0) return length;
            if (length == 0) return -Errno.ENOENT;
            Files.Synthetic.AppFileTree.EnsureBuilt();
            Files.PathLookup lookup;
            long result = Files.Vfs.Lookup(Files.Vfs.WorkingDirectory, UserPath.First, (int)length, true, out lookup);
            if (result < 0) return result;
            if (lookup.Node == null) return -Errno.ENOENT;
            if (lookup.Node.Type != FileTypeBits.Regular || (lookup.Node.Mode & 0x49) == 0) return -Errno.EACCES;   // no x for anyone
            return NoNewProcess();
        }

        // rseq is an optimisation libc may try; "not here" is the documented answer, so it is not reported
        // as an unimplemented call.
        public static long rseq(SyscallFrame call) => -Errno.ENOSYS;

        private static void Copy(byte* destination, string text)
        {
            for (int i = 0; i < text.Length; i++) destination[i] = (byte)text[i];
        }
    }
}
