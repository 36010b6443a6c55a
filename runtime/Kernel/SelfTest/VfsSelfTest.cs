#if KERNEL_SELFTEST
using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Files.Events;
using Kernel.Files.Synthetic;
using Kernel.Files;
using Kernel.LinuxAbi;
using Kernel.Memory;
using Kernel.Syscalls;

namespace Kernel.SelfTest
{
    // uk.selftest=vfs: the file system calls, driven through SyscallTable.Dispatch exactly as the app's
    // `syscall` would (a frame with rax and the argument registers), with every buffer and path in pages
    // opened to ring 3. Each check prints on failure; the generated files are printed ("uk: vfs | ...")
    // so the host test can compare them with the machine it booted; the heap must end where it started.
    internal static unsafe class VfsSelfTest
    {
        private const ulong UserPages = 8;
        private const ulong PageSize = 4096;

        // Linux constants the checks use.
        private const ulong ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200;
        private const ulong OAppend = 0x400, ONonBlock = 0x800, ODirectory = 0x10000, ONoFollow = 0x20000, OCloExec = 0x80000;
        private const ulong OPath = 0x200000;
        private const long AtFdCwd = -100;
        private const ulong AtEmptyPath = 0x1000, AtRemoveDir = 0x200, AtSymlinkNoFollow = 0x100;

        private static ulong s_user;       // start of the user-accessible region
        private static ulong s_next;       // bump pointer inside it
        private static int s_checks, s_failures;

        public static void Run()
        {
            ulong pages = KernelMemory.Pages->AllocateZeroedPages(UserPages);
            if (pages == 0) Panic.Fail("selftest vfs: out of pages");
            s_user = SelfTestUserPages.Map(pages, UserPages);
            // The test plays the app: it calls the handlers directly and reads what they wrote into its pages.
            UserAccess.Begin();

            Reset();
            // Everything created once and for good (the tree, the console descriptors, the CPU identity
            // strings) exists before the heap is measured.
            AppFileTree.EnsureBuilt();
            FileEvents.Changed(null);
            PrintFile("/proc/cpuinfo", false);
            ulong liveBefore = KernelMemory.Heap->LiveAllocations;

            ConsoleDescriptors();
            GeneratedFiles();
            PathErrors();
            RamFiles();
            Directories();
            WorkingDirectory();
            Links();
            FileSystems();
            Pipes();
            EventFds();
            InotifyWatches();
            Epoll();
            Descriptors();
            DescriptorLimit();
            Devices();
            Transfers();
            Attributes();
            BadPointers();

            ulong liveAfter = KernelMemory.Heap->LiveAllocations;
            Check("heap blocks back to where they were", (long)liveAfter, (long)liveBefore);
            Check("descriptors left open", Vfs.Descriptors.OpenCount, 3);

            KernelConsole.Prefix();
            KernelConsole.Write("selftest vfs: ");
            KernelConsole.WriteDecimal((ulong)s_checks);
            KernelConsole.Write(" checks, ");
            KernelConsole.WriteDecimal((ulong)s_failures);
            KernelConsole.WriteLine(s_failures == 0 ? " failures (ok)" : " failures (FAILED)");
            if (s_failures != 0) Machine.Exit(Machine.PanicExitStatus);
        }

        // ---- the checks ----

        private static void ConsoleDescriptors()
        {
            Reset();
            Check("write(1)", Sys("write", 1, Text("vfs: written through write(1)\n"), 30), 30);
            Check("write(2)", Sys("write", 2, Text("vfs: and through write(2)\n"), 26), 26);
            ulong buffer = Alloc(256);
            Check("read(0) is end of file", Sys("read", 0, buffer, 16), 0);
            Check("fstat(1)", Sys("fstat", 1, buffer), 0);
            Check("fd 1 is a character device", *(uint*)(buffer + 24) & 0xF000, 0x2000);
            // fds 0-2 are a terminal exactly when uk.console.tty=1 says so; /dev/console opened by name always is one.
            long standardTerminal = Boot.BootCommandLine.OptionEquals(Files.Synthetic.AppFileTree.TerminalOption, "1") ? 0 : -Errno.ENOTTY;
            Check("TCGETS on fd 0 as uk.console.tty says", Sys("ioctl", 0, 0x5401, buffer), standardTerminal);
            Check("TIOCGWINSZ on fd 1 as uk.console.tty says", Sys("ioctl", 1, 0x5413, buffer), standardTerminal);
            long consoleFd = Sys("open", Text("/dev/console"), 2);
            Check("open /dev/console", consoleFd >= 0 ? 0 : consoleFd, 0);
            Check("TCGETS on /dev/console", Sys("ioctl", (ulong)consoleFd, 0x5401, buffer), 0);
            Check("termios c_lflag has ICANON", *(uint*)(buffer + 12) & 2, 2);
            Check("TIOCGWINSZ on /dev/console", Sys("ioctl", (ulong)consoleFd, 0x5413, buffer), 0);
            Check("window rows", *(ushort*)buffer, 24);
            Check("unknown ioctl on the console", Sys("ioctl", (ulong)consoleFd, 0x1234, buffer), -Errno.ENOTTY);
            Sys("close", (ulong)consoleFd);
            Check("ioctl on a bad fd", Sys("ioctl", 77, 0x5401, buffer), -Errno.EBADF);
            Check("F_GETFL of the console", Sys("fcntl", 1, 3), 0x8002);
            ulong pollFd = Alloc(8);
            *(int*)pollFd = 1; *(short*)(pollFd + 4) = 4;   // POLLOUT
            Check("poll(1, POLLOUT)", Sys("poll", pollFd, 1, 0), 1);
            Check("revents POLLOUT", *(short*)(pollFd + 6), 4);
        }

        private static void GeneratedFiles()
        {
            Reset();
            PrintFile("/proc/meminfo", true);
            PrintFile("/proc/self/mountinfo", true);
            PrintFile("/proc/self/cgroup", true);
            PrintFile("/proc/self/statm", true);
            PrintFile("/proc/self/maps", true);
            PrintFile("/sys/devices/system/cpu/possible", true);
            PrintFile("/sys/devices/system/cpu/online", true);
            for (int i = 0; i < CpuCaches.Count; i++)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("vfs | cache index");
                KernelConsole.WriteDecimal((ulong)i);
                KernelConsole.Write(": ");
                WriteCacheAttribute(i, "size");
                WriteCacheAttribute(i, "level");
                WriteCacheAttribute(i, "type");
                WriteCacheAttribute(i, "coherency_line_size");
                KernelConsole.WriteLine();
            }
            PrintFile("/proc/cpuinfo", true);

            // MemTotal is what the page allocator manages.
            Reset();
            long fd = Sys("open", Text("/proc/meminfo"), ORdOnly);
            Check("open /proc/meminfo: lowest free fd", fd, 3);
            ulong buffer = Alloc(4096);
            long n = Sys("read", (ulong)fd, buffer, 4096);
            Check("meminfo starts with MemTotal", StartsWith((byte*)buffer, n, "MemTotal:") ? 1 : 0, 1);
            Check("MemTotal (kB) = page allocator's pages * 4", (long)ParseNumberAfter((byte*)buffer, n, 9), (long)(KernelMemory.Pages->TotalPages * 4));
            Check("read at end of file", Sys("read", (ulong)fd, buffer, 4096), 0);
            Check("lseek back to 0", Sys("lseek", (ulong)fd, 0, 0), 0);
            Check("pread64 at 3", Sys("pread64", (ulong)fd, buffer, 5, 3), 5);
            Check("pread64 read 'Total'", StartsWith((byte*)buffer, 5, "Total") ? 1 : 0, 1);
            Check("write to a read-only fd", Sys("write", (ulong)fd, buffer, 1), -Errno.EBADF);
            Check("close", Sys("close", (ulong)fd), 0);
            Check("close twice", Sys("close", (ulong)fd), -Errno.EBADF);
            Check("open /proc/meminfo for writing", Sys("open", Text("/proc/meminfo"), OWrOnly), -Errno.EACCES);
            Check("/sys/fs/cgroup does not exist", Sys("statfs", Text("/sys/fs/cgroup"), buffer), -Errno.ENOENT);
            Check("readlink /proc/self/exe", Sys("readlink", Text("/proc/self/exe"), buffer, 64), 4);
            Check("/proc/self/exe -> /app", StartsWith((byte*)buffer, 4, "/app") ? 1 : 0, 1);
            Check("stat /proc/self/exe follows to /app", Sys("stat", Text("/proc/self/exe"), buffer), 0);
            Check("/app is a regular file", *(uint*)(buffer + 24) & 0xF000, 0x8000);
            Check("lstat /proc/self/exe is the link", Sys("lstat", Text("/proc/self/exe"), buffer), 0);
            Check("S_IFLNK", *(uint*)(buffer + 24) & 0xF000, 0xA000);
            Check("readlink of a non-link", Sys("readlink", Text("/proc/meminfo"), buffer, 64), -Errno.EINVAL);
        }

        private static void PathErrors()
        {
            Reset();
            ulong buffer = Alloc(256);
            Check("open missing", Sys("open", Text("/nonexistent"), ORdOnly), -Errno.ENOENT);
            Check("open under a file", Sys("open", Text("/proc/meminfo/x"), ORdOnly), -Errno.ENOTDIR);
            Check("trailing slash on a file", Sys("stat", Text("/proc/meminfo/"), buffer), -Errno.ENOTDIR);
            Check("open a directory for writing", Sys("open", Text("/tmp"), OWrOnly), -Errno.EISDIR);
            Check("O_DIRECTORY on a file", Sys("open", Text("/proc/meminfo"), ORdOnly | ODirectory), -Errno.ENOTDIR);
            Check("create in the read-only root", Sys("open", Text("/newfile"), OCreat | OWrOnly, 0x1A4), -Errno.EROFS);
            Check("empty path", Sys("open", Text(""), ORdOnly), -Errno.ENOENT);
            Check("O_NOFOLLOW on a symlink", Sys("open", Text("/proc/self/exe"), ORdOnly | ONoFollow), -Errno.ELOOP);
            Check("stat . and ..", Sys("stat", Text("/proc/./self/../self/./exe"), buffer), 0);
            Check("/.. is /", Sys("stat", Text("/../../tmp//"), buffer), 0);

            ulong longName = Alloc(300);
            ((byte*)longName)[0] = (byte)'/';
            for (int i = 1; i < 299; i++) ((byte*)longName)[i] = (byte)'n';
            Check("component over 255 bytes", Sys("open", longName, ORdOnly), -Errno.ENAMETOOLONG);
            ulong noNul = Alloc(5000);
            for (int i = 0; i < 5000; i++) ((byte*)noNul)[i] = (byte)'/';
            Check("path over PATH_MAX", Sys("open", noNul, ORdOnly), -Errno.ENAMETOOLONG);
            Check("bad dirfd", Sys("openat", 55, Text("relative"), ORdOnly), -Errno.EBADF);
            long fd = Sys("open", Text("/proc/meminfo"), ORdOnly);
            Check("dirfd that is a file", Sys("openat", (ulong)fd, Text("relative"), ORdOnly), -Errno.ENOTDIR);
            Check("absolute path ignores dirfd", Sys("openat", 55, Text("/proc/meminfo"), ORdOnly), 4);
            Sys("close", 4);
            Sys("close", (ulong)fd);
        }

        private static void RamFiles()
        {
            Reset();
            ulong path = Text("/tmp/a");
            long fd = Sys("open", path, OCreat | ORdWr | OExcl, 0x1A4);
            Check("create /tmp/a", fd, 3);
            Check("O_EXCL on an existing file", Sys("open", path, OCreat | ORdWr | OExcl, 0x1A4), -Errno.EEXIST);
            const int size = 5000;
            ulong data = Alloc(size);
            for (int i = 0; i < size; i++) ((byte*)data)[i] = (byte)(i * 7);
            Check("write 5000 bytes", Sys("write", (ulong)fd, data, size), size);
            Check("lseek SEEK_CUR", Sys("lseek", (ulong)fd, 0, 1), size);
            Check("lseek SEEK_SET", Sys("lseek", (ulong)fd, 0, 0), 0);
            ulong back = Alloc(size);
            Check("read them back", Sys("read", (ulong)fd, back, size), size);
            Check("same bytes", Same((byte*)data, (byte*)back, size) ? 1 : 0, 1);
            Check("pwrite64", Sys("pwrite64", (ulong)fd, Text("XY"), 2, 100), 2);
            Check("pread64", Sys("pread64", (ulong)fd, back, 3, 99), 3);
            Check("pwrite64 landed", ((byte*)back)[1] == 'X' && ((byte*)back)[2] == 'Y' ? 1 : 0, 1);
            Check("negative offset", Sys("pread64", (ulong)fd, back, 3, unchecked((ulong)-1)), -Errno.EINVAL);
            ulong st = Alloc(144);
            Check("fstat", Sys("fstat", (ulong)fd, st), 0);
            Check("st_size", *(long*)(st + 48), size);
            Check("st_mode", *(uint*)(st + 24), 0x81A4);   // umask 022 leaves 0644
            Check("ftruncate to 10", Sys("ftruncate", (ulong)fd, 10), 0);
            Check("SEEK_END after truncate", Sys("lseek", (ulong)fd, 0, 2), 10);
            Check("ftruncate up to 100 (zeros)", Sys("ftruncate", (ulong)fd, 100), 0);
            Check("pread64 of the extension", Sys("pread64", (ulong)fd, back, 100, 0), 100);
            Check("extension reads zeros", ((byte*)back)[50] == 0 && ((byte*)back)[99] == 0 && ((byte*)back)[9] == (byte)63 ? 1 : 0, 1);
            Check("negative seek", Sys("lseek", (ulong)fd, unchecked((ulong)-1), 0), -Errno.EINVAL);
            Check("bad whence", Sys("lseek", (ulong)fd, 0, 9), -Errno.EINVAL);

            // writev then readv across two vectors.
            ulong vectors = Alloc(32);
            ulong first = Text("hello, "), second = Text("vectors");
            *(ulong*)vectors = first; *(ulong*)(vectors + 8) = 7;
            *(ulong*)(vectors + 16) = second; *(ulong*)(vectors + 24) = 7;
            Sys("lseek", (ulong)fd, 0, 0);
            Check("writev", Sys("writev", (ulong)fd, vectors, 2), 14);
            Sys("lseek", (ulong)fd, 0, 0);
            ulong into = Alloc(16);
            *(ulong*)vectors = into; *(ulong*)(vectors + 8) = 3;
            *(ulong*)(vectors + 16) = into + 3; *(ulong*)(vectors + 24) = 11;
            Check("readv", Sys("readv", (ulong)fd, vectors, 2), 14);
            Check("readv content", StartsWith((byte*)into, 14, "hello, vectors") ? 1 : 0, 1);
            Check("readv with too many vectors", Sys("readv", (ulong)fd, vectors, 5000), -Errno.EINVAL);
            Check("fsync", Sys("fsync", (ulong)fd), 0);
            Check("close", Sys("close", (ulong)fd), 0);

            // O_APPEND, O_TRUNC, and a file that stays readable after unlink.
            fd = Sys("open", path, OWrOnly | OAppend);
            Check("write O_APPEND", Sys("write", (ulong)fd, Text("!"), 1), 1);
            Check("O_APPEND wrote at the end", Sys("lseek", (ulong)fd, 0, 1), 101);
            Sys("close", (ulong)fd);
            fd = Sys("open", path, ORdWr | OTrunc);
            Check("O_TRUNC", Sys("lseek", (ulong)fd, 0, 2), 0);
            Sys("write", (ulong)fd, Text("still here"), 10);
            Check("unlink an open file", Sys("unlink", path), 0);
            Check("gone from the tree", Sys("stat", path, st), -Errno.ENOENT);
            Check("still readable through its fd", Sys("pread64", (ulong)fd, back, 64, 0), 10);
            Check("ftruncate on a read-only fd", Sys("ftruncate", 0, 0), -Errno.EINVAL);
            Sys("close", (ulong)fd);
        }

        private static void Directories()
        {
            Reset();
            ulong st = Alloc(144);
            Check("mkdir /tmp/d", Sys("mkdir", Text("/tmp/d"), 0x1ED), 0);
            Check("mkdir again", Sys("mkdir", Text("/tmp/d"), 0x1ED), -Errno.EEXIST);
            Check("mkdir in a missing directory", Sys("mkdir", Text("/tmp/x/y"), 0x1ED), -Errno.ENOENT);
            Check("mkdirat with a trailing slash", Sys("mkdirat", unchecked((ulong)AtFdCwd), Text("/tmp/d/e/"), 0x1ED), 0);
            long fd = Sys("open", Text("/tmp/f"), OCreat | OWrOnly, 0x1A4);
            Sys("write", (ulong)fd, Text("data"), 4);
            Sys("close", (ulong)fd);
            Check("rename a file into a directory", Sys("rename", Text("/tmp/f"), Text("/tmp/d/g")), 0);
            Check("old name gone", Sys("stat", Text("/tmp/f"), st), -Errno.ENOENT);
            Check("new name there", Sys("stat", Text("/tmp/d/g"), st), 0);
            Check("size kept", *(long*)(st + 48), 4);
            Check("rename a directory under itself", Sys("rename", Text("/tmp/d"), Text("/tmp/d/e/z")), -Errno.EINVAL);
            Check("rename a file over a directory", Sys("rename", Text("/tmp/d/g"), Text("/tmp/d/e")), -Errno.EISDIR);
            Check("rename across file systems", Sys("rename", Text("/tmp/d/g"), Text("/proc/g")), -Errno.EXDEV);
            Check("renameat2 RENAME_NOREPLACE", Sys("renameat2", unchecked((ulong)AtFdCwd), Text("/tmp/d/g"), unchecked((ulong)AtFdCwd), Text("/tmp/d/e"), 1), -Errno.EEXIST);

            // getdents64 of /tmp/d: ".", "..", "e", "g".
            fd = Sys("open", Text("/tmp/d"), ORdOnly | ODirectory);
            ulong entries = Alloc(1024);
            long n = Sys("getdents64", (ulong)fd, entries, 1024);
            Check("getdents64 lists . .. e g", CountEntries((byte*)entries, n, "e", "g"), 4);
            Check("getdents64 at the end", Sys("getdents64", (ulong)fd, entries, 1024), 0);
            Check("rewind", Sys("lseek", (ulong)fd, 0, 0), 0);
            Check("buffer too small for one entry", Sys("getdents64", (ulong)fd, entries, 8), -Errno.EINVAL);
            Check("read on a directory", Sys("read", (ulong)fd, entries, 8), -Errno.EISDIR);
            Sys("close", (ulong)fd);

            Check("rmdir a non-empty directory", Sys("rmdir", Text("/tmp/d")), -Errno.ENOTEMPTY);
            Check("unlink a directory", Sys("unlink", Text("/tmp/d")), -Errno.EISDIR);
            Check("rmdir a file", Sys("rmdir", Text("/tmp/d/g")), -Errno.ENOTDIR);
            Check("rmdir a mount point", Sys("rmdir", Text("/tmp")), -Errno.EBUSY);
            Check("unlinkat a file", Sys("unlinkat", unchecked((ulong)AtFdCwd), Text("/tmp/d/g"), 0), 0);
            Check("unlinkat AT_REMOVEDIR", Sys("unlinkat", unchecked((ulong)AtFdCwd), Text("/tmp/d/e"), AtRemoveDir), 0);
            Check("rmdir /tmp/d", Sys("rmdir", Text("/tmp/d")), 0);
            Check("rmdir again", Sys("rmdir", Text("/tmp/d")), -Errno.ENOENT);
        }

        private static void WorkingDirectory()
        {
            Reset();
            ulong buffer = Alloc(256);
            Check("getcwd /", Sys("getcwd", buffer, 256), 2);
            Check("chdir to a file", Sys("chdir", Text("/proc/meminfo")), -Errno.ENOTDIR);
            Check("chdir /tmp", Sys("chdir", Text("/tmp")), 0);
            Check("getcwd /tmp", Sys("getcwd", buffer, 256), 5);
            Check("getcwd text", StartsWith((byte*)buffer, 5, "/tmp\0") ? 1 : 0, 1);
            Check("getcwd buffer too small", Sys("getcwd", buffer, 3), -Errno.ERANGE);
            long fd = Sys("open", Text("rel"), OCreat | OWrOnly, 0x1A4);
            Check("create relative to cwd", fd, 3);
            Sys("close", (ulong)fd);
            Check("stat through ..", Sys("stat", Text("../tmp/rel"), buffer), 0);
            long dirfd = Sys("open", Text("/"), OPath | ODirectory);
            Check("O_PATH fd", dirfd, 3);
            Check("read on an O_PATH fd", Sys("read", (ulong)dirfd, buffer, 1), -Errno.EBADF);
            Check("newfstatat relative to a dirfd", Sys("newfstatat", (ulong)dirfd, Text("tmp/rel"), buffer, 0), 0);
            Check("newfstatat AT_EMPTY_PATH", Sys("newfstatat", (ulong)dirfd, Text(""), buffer, AtEmptyPath), 0);
            Check("AT_EMPTY_PATH gives the directory", *(uint*)(buffer + 24) & 0xF000, 0x4000);
            Check("newfstatat bad flags", Sys("newfstatat", (ulong)dirfd, Text("tmp"), buffer, 0x8), -Errno.EINVAL);
            Check("fchdir", Sys("fchdir", (ulong)dirfd), 0);
            Check("getcwd after fchdir", Sys("getcwd", buffer, 256), 2);
            Sys("close", (ulong)dirfd);
            Check("unlink relative", Sys("unlink", Text("tmp/rel")), 0);
        }

        private static void Links()
        {
            Reset();
            ulong buffer = Alloc(256);
            Check("symlink", Sys("symlink", Text("/proc/self"), Text("/tmp/l")), 0);
            Check("stat through the link", Sys("stat", Text("/tmp/l/exe"), buffer), 0);
            Check("readlinkat", Sys("readlinkat", unchecked((ulong)AtFdCwd), Text("/tmp/l"), buffer, 5), 5);
            Check("symlink loop", Sys("symlink", Text("/tmp/loop"), Text("/tmp/loop")), 0);
            Check("ELOOP", Sys("stat", Text("/tmp/loop"), buffer), -Errno.ELOOP);
            Check("dangling link created through O_CREAT", Sys("symlink", Text("target"), Text("/tmp/dangling")), 0);
            long fd = Sys("open", Text("/tmp/dangling"), OCreat | OWrOnly, 0x1A4);
            Check("open creates the link's target", Sys("stat", Text("/tmp/target"), buffer), 0);
            Sys("close", (ulong)fd);
            Sys("unlink", Text("/tmp/target"));
            Sys("unlink", Text("/tmp/dangling"));
            Sys("unlink", Text("/tmp/loop"));
            Check("unlink the link, not its target", Sys("unlink", Text("/tmp/l")), 0);
            Check("target still there", Sys("stat", Text("/proc/self/exe"), buffer), 0);
        }

        private static void FileSystems()
        {
            Reset();
            ulong buffer = Alloc(128);
            Check("statfs /tmp", Sys("statfs", Text("/tmp"), buffer), 0);
            Check("tmpfs magic", *(long*)buffer, SuperBlock.TmpfsMagic);
            Check("tmpfs has blocks", *(long*)(buffer + 16) > 0 ? 1 : 0, 1);
            Check("statfs /proc", Sys("statfs", Text("/proc/self"), buffer), 0);
            Check("proc magic", *(long*)buffer, SuperBlock.ProcMagic);
            Check("fstatfs on the console", Sys("fstatfs", 1, buffer), 0);
            Check("access /app X_OK", Sys("access", Text("/app"), 1), 0);
            Check("access / W_OK", Sys("access", Text("/"), 2), -Errno.EROFS);
            Check("access /tmp W_OK", Sys("access", Text("/tmp"), 2), 0);
            Check("access /proc/meminfo X_OK", Sys("access", Text("/proc/meminfo"), 1), -Errno.EACCES);
            Check("faccessat bad mode", Sys("faccessat", unchecked((ulong)AtFdCwd), Text("/tmp"), 8), -Errno.EINVAL);
            Check("faccessat missing", Sys("faccessat", unchecked((ulong)AtFdCwd), Text("/tmp/none"), 0), -Errno.ENOENT);
        }

        private static void Pipes()
        {
            Reset();
            ulong fds = Alloc(8);
            Check("pipe2 bad flags", Sys("pipe2", fds, 1), -Errno.EINVAL);
            Check("pipe2(O_CLOEXEC)", Sys("pipe2", fds, OCloExec), 0);
            ulong readFd = (ulong)((int*)fds)[0], writeFd = (ulong)((int*)fds)[1];
            Check("read end fd", (long)readFd, 3);
            Check("write end fd", (long)writeFd, 4);
            Check("F_GETFD has FD_CLOEXEC", Sys("fcntl", readFd, 1), 1);
            Check("F_SETFD clears it", Sys("fcntl", readFd, 2, 0), 0);
            Check("F_GETFD cleared", Sys("fcntl", readFd, 1), 0);
            Check("F_GETPIPE_SZ", Sys("fcntl", readFd, 1032), 65536);
            ulong buffer = Alloc(256);
            ulong pollFds = Alloc(16);
            *(int*)pollFds = (int)readFd; *(short*)(pollFds + 4) = 1;
            *(int*)(pollFds + 8) = (int)writeFd; *(short*)(pollFds + 12) = 4;
            Check("poll: only the write end is ready", Sys("poll", pollFds, 2, 0), 1);
            Check("read end not ready", *(short*)(pollFds + 6), 0);
            Check("blocking read of an empty pipe parks (placeholder -EAGAIN)", Sys("read", readFd, buffer, 64), -Errno.EAGAIN);
            Check("write 3 bytes", Sys("write", writeFd, Text("abc"), 3), 3);
            Check("poll: both ready", Sys("poll", pollFds, 2, 0), 2);
            Check("POLLIN", *(short*)(pollFds + 6), 1);
            Check("FIONREAD", Sys("ioctl", readFd, 0x541B, buffer), 0);
            Check("FIONREAD count", *(int*)buffer, 3);
            Check("read them", Sys("read", readFd, buffer, 64), 3);
            Check("F_SETFL O_NONBLOCK", Sys("fcntl", readFd, 4, ONonBlock), 0);
            Check("F_GETFL", Sys("fcntl", readFd, 3), (long)ONonBlock);
            Check("nonblocking read of an empty pipe", Sys("read", readFd, buffer, 64), -Errno.EAGAIN);
            Check("lseek on a pipe", Sys("lseek", readFd, 0, 0), -Errno.ESPIPE);
            Check("pread64 on a pipe", Sys("pread64", readFd, buffer, 1, 0), -Errno.ESPIPE);
            Check("ioctl TCGETS on a pipe", Sys("ioctl", readFd, 0x5401, buffer), -Errno.ENOTTY);
            Check("write to the read end", Sys("write", readFd, buffer, 1), -Errno.EBADF);
            Check("fstat of a pipe", Sys("fstat", readFd, buffer), 0);
            Check("S_IFIFO", *(uint*)(buffer + 24) & 0xF000, 0x1000);

            // Fill the pipe: 64 KiB fit, then a nonblocking writer gets EAGAIN.
            Check("F_SETFL O_NONBLOCK on the write end", Sys("fcntl", writeFd, 4, ONonBlock), 0);
            ulong chunk = Alloc(16384);
            long written = 0;
            for (int i = 0; i < 8; i++)
            {
                long n = Sys("write", writeFd, chunk, 16384);
                if (n < 0) break;
                written += n;
            }
            Check("a pipe holds 64 KiB", written, 65536);
            Check("full pipe: EAGAIN", Sys("write", writeFd, chunk, 1), -Errno.EAGAIN);
            Check("drain", Sys("read", readFd, chunk, 16384), 16384);
            Check("write again after draining", Sys("write", writeFd, chunk, 100), 100);

            Check("close the write end", Sys("close", writeFd), 0);
            *(short*)(pollFds + 4) = 1;
            Check("poll after the writer left", Sys("poll", pollFds, 1, 0), 1);
            Check("POLLIN|POLLHUP", *(short*)(pollFds + 6), 0x11);
            long left = 0;
            while (true)
            {
                long n = Sys("read", readFd, chunk, 16384);
                if (n <= 0) { Check("then end of file", n, 0); break; }
                left += n;
            }
            Check("everything written was read", left, 65536 - 16384 + 100);
            Check("close the read end", Sys("close", readFd), 0);

            // EPIPE when the reader is gone.
            Sys("pipe", fds);
            Sys("close", (ulong)((int*)fds)[0]);
            Check("write with no reader", Sys("write", (ulong)((int*)fds)[1], buffer, 1), -Errno.EPIPE);
            Sys("close", (ulong)((int*)fds)[1]);
        }

        private static void EventFds()
        {
            Reset();
            ulong value = Alloc(8);
            Check("eventfd2 bad flags", Sys("eventfd2", 0, 0x10), -Errno.EINVAL);
            long fd = Sys("eventfd2", 0, ONonBlock);
            Check("eventfd2", fd, 3);
            Check("read of 0: EAGAIN", Sys("read", (ulong)fd, value, 8), -Errno.EAGAIN);
            Check("short read", Sys("read", (ulong)fd, value, 4), -Errno.EINVAL);
            *(ulong*)value = 5;
            Check("write 5", Sys("write", (ulong)fd, value, 8), 8);
            *(ulong*)value = 2;
            Check("write 2", Sys("write", (ulong)fd, value, 8), 8);
            *(ulong*)value = 0;
            Check("read", Sys("read", (ulong)fd, value, 8), 8);
            Check("sum 7", (long)*(ulong*)value, 7);
            *(ulong*)value = 0xFFFF_FFFF_FFFF_FFFFUL;
            Check("write 2^64-1", Sys("write", (ulong)fd, value, 8), -Errno.EINVAL);
            Sys("close", (ulong)fd);

            fd = Sys("eventfd2", 3, 1 | ONonBlock);   // EFD_SEMAPHORE
            Check("semaphore read", Sys("read", (ulong)fd, value, 8), 8);
            Check("semaphore gives 1", (long)*(ulong*)value, 1);
            Sys("read", (ulong)fd, value, 8);
            Sys("read", (ulong)fd, value, 8);
            Check("semaphore drained", Sys("read", (ulong)fd, value, 8), -Errno.EAGAIN);
            Sys("close", (ulong)fd);
        }

        // inotify: the records a watched directory on tmpfs gets (Linux's layout: 16-byte header, name padded
        // to 16), merging of an identical MODIFY, rename cookies, IN_IGNORED, DELETE_SELF, and the errors.
        private static void InotifyWatches()
        {
            Reset();
            ulong events = Alloc(512), count = Alloc(8);
            const ulong Create = 0x100, Modify = 0x2, MovedFrom = 0x40, MovedTo = 0x80, Delete = 0x200, DeleteSelf = 0x400;
            const ulong Ignored = 0x8000, OnlyDirectory = 0x0100_0000, MaskAdd = 0x2000_0000;
            Check("inotify_init1 bad flags", Sys("inotify_init1", 1), -Errno.EINVAL);
            long fd = Sys("inotify_init1", ONonBlock);
            Check("inotify_init1", fd, 3);
            Check("empty: EAGAIN", Sys("read", (ulong)fd, events, 512), -Errno.EAGAIN);
            Check("mkdir watched", Sys("mkdir", Text("/tmp/watched"), 0x1ED), 0);
            Check("add_watch", Sys("inotify_add_watch", (ulong)fd, Text("/tmp/watched"), Create | Delete | MovedFrom | MovedTo | DeleteSelf), 1);
            Check("add_watch again: same wd", Sys("inotify_add_watch", (ulong)fd, Text("/tmp/watched/"), Modify | MaskAdd), 1);
            Check("add_watch missing", Sys("inotify_add_watch", (ulong)fd, Text("/tmp/none"), Create), -Errno.ENOENT);
            Check("add_watch no events", Sys("inotify_add_watch", (ulong)fd, Text("/tmp"), 0), -Errno.EINVAL);
            Check("IN_ONLYDIR on a file", Sys("inotify_add_watch", (ulong)fd, Text("/proc/meminfo"), Modify | OnlyDirectory), -Errno.ENOTDIR);
            Check("add_watch on a non-inotify fd", Sys("inotify_add_watch", 0, Text("/tmp"), Create), -Errno.EINVAL);

            long file = Sys("open", Text("/tmp/watched/a"), OCreat | OWrOnly, 0x1A4);
            Check("create a", file, 4);
            Sys("write", (ulong)file, Text("xy"), 2);
            Sys("write", (ulong)file, Text("zw"), 2);   // merged with the MODIFY before it
            Sys("close", (ulong)file);
            Check("rename a b", Sys("rename", Text("/tmp/watched/a"), Text("/tmp/watched/b")), 0);
            Check("unlink b", Sys("unlink", Text("/tmp/watched/b")), 0);
            Check("FIONREAD", Sys("ioctl", (ulong)fd, 0x541B, count), 0);
            Check("FIONREAD bytes", *(int*)count, 5 * 32);
            Check("buffer smaller than an event", Sys("read", (ulong)fd, events, 16), -Errno.EINVAL);
            Check("read events", Sys("read", (ulong)fd, events, 512), 5 * 32);
            InotifyRecord(events, 1, Create, 'a');
            InotifyRecord(events + 32, 1, Modify, 'a');
            InotifyRecord(events + 64, 1, MovedFrom, 'a');
            InotifyRecord(events + 96, 1, MovedTo, 'b');
            InotifyRecord(events + 128, 1, Delete, 'b');
            Check("rename cookie set", *(uint*)(events + 64 + 8) != 0 ? 1 : 0, 1);
            Check("rename cookies match", *(uint*)(events + 96 + 8), *(uint*)(events + 64 + 8));

            Check("rm_watch", Sys("inotify_rm_watch", (ulong)fd, 1), 0);
            Check("rm_watch again", Sys("inotify_rm_watch", (ulong)fd, 1), -Errno.EINVAL);
            Check("read IN_IGNORED", Sys("read", (ulong)fd, events, 512), 16);
            Check("IN_IGNORED mask", *(uint*)(events + 4), (long)Ignored);

            Check("watch again", Sys("inotify_add_watch", (ulong)fd, Text("/tmp/watched"), DeleteSelf), 2);
            Check("rmdir watched", Sys("rmdir", Text("/tmp/watched")), 0);
            Check("read DELETE_SELF, IGNORED", Sys("read", (ulong)fd, events, 512), 32);
            Check("DELETE_SELF", *(uint*)(events + 4), (long)DeleteSelf);
            Check("then IGNORED", *(uint*)(events + 16 + 4), (long)Ignored);
            Sys("close", (ulong)fd);
        }

        private static void InotifyRecord(ulong record, int wd, ulong mask, char name)
        {
            Check("event wd", *(int*)record, wd);
            Check("event mask", *(uint*)(record + 4), (long)mask);
            Check("event name length (padded)", *(uint*)(record + 12), 16);
            Check("event name", *(byte*)(record + 16), name);
            Check("event name NUL", *(byte*)(record + 17), 0);
        }

        private static void Epoll()
        {
            Reset();
            ulong ev = Alloc(12), events = Alloc(12 * 4), value = Alloc(8);
            long epfd = Sys("epoll_create1", 0);
            Check("epoll_create1", epfd, 3);
            Check("epoll_create1 bad flags", Sys("epoll_create1", 1), -Errno.EINVAL);
            long efd = Sys("eventfd2", 0, ONonBlock);
            *(uint*)ev = 1; *(ulong*)(ev + 4) = 42;   // EPOLLIN, data 42
            Check("epoll_ctl ADD", Sys("epoll_ctl", (ulong)epfd, 1, (ulong)efd, ev), 0);
            Check("ADD twice", Sys("epoll_ctl", (ulong)epfd, 1, (ulong)efd, ev), -Errno.EEXIST);
            Check("epoll_ctl on itself", Sys("epoll_ctl", (ulong)epfd, 1, (ulong)epfd, ev), -Errno.EINVAL);
            Check("epoll_ctl on a non-epoll fd", Sys("epoll_ctl", (ulong)efd, 1, 1, ev), -Errno.EINVAL);
            long file = Sys("open", Text("/proc/meminfo"), ORdOnly);
            Check("epoll_ctl on a regular file", Sys("epoll_ctl", (ulong)epfd, 1, (ulong)file, ev), -Errno.EPERM);
            Sys("close", (ulong)file);
            Check("epoll_wait, nothing ready", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 0);
            Check("epoll_wait with a timeout parks (placeholder -EAGAIN)", Sys("epoll_wait", (ulong)epfd, events, 4, 10), -Errno.EAGAIN);
            Check("epoll_wait maxevents 0", Sys("epoll_wait", (ulong)epfd, events, 0, 0), -Errno.EINVAL);
            *(ulong*)value = 1;
            Sys("write", (ulong)efd, value, 8);
            Check("ready after a write", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 1);
            Check("events EPOLLIN", *(uint*)events, 1);
            Check("data 42", (long)*(ulong*)(events + 4), 42);
            Check("level-triggered: still ready", Sys("epoll_pwait", (ulong)epfd, events, 4, 0, 0, 8), 1);

            *(uint*)ev = 1u | (1u << 31);   // EPOLLIN | EPOLLET
            Check("MOD to edge-triggered", Sys("epoll_ctl", (ulong)epfd, 3, (ulong)efd, ev), 0);
            Check("edge: reported once", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 1);
            Check("edge: not again", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 0);
            Sys("write", (ulong)efd, value, 8);
            Check("edge: new event", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 1);

            // A pipe and the console in the same set; EPOLLONESHOT.
            ulong fds = Alloc(8);
            Sys("pipe2", fds, ONonBlock);
            *(uint*)ev = 1u | (1u << 30); *(ulong*)(ev + 4) = 7;   // EPOLLIN | EPOLLONESHOT
            Check("ADD a pipe", Sys("epoll_ctl", (ulong)epfd, 1, (ulong)((int*)fds)[0], ev), 0);
            *(uint*)ev = 4; *(ulong*)(ev + 4) = 1;   // EPOLLOUT on stdout
            Check("ADD the console", Sys("epoll_ctl", (ulong)epfd, 1, 1, ev), 0);
            Sys("write", (ulong)((int*)fds)[1], Text("x"), 1);
            Check("pipe and console ready", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 2);
            Check("oneshot disarmed", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 1);
            Check("DEL", Sys("epoll_ctl", (ulong)epfd, 2, 1, 0), 0);
            Check("DEL twice", Sys("epoll_ctl", (ulong)epfd, 2, 1, 0), -Errno.ENOENT);
            // Closing a watched pipe end drops it from the set (no stale entry left behind).
            Sys("close", (ulong)((int*)fds)[0]);
            Sys("close", (ulong)((int*)fds)[1]);
            Sys("close", (ulong)efd);
            Check("closed files leave the set", Sys("epoll_wait", (ulong)epfd, events, 4, 0), 0);
            Sys("close", (ulong)epfd);
        }

        private static void Descriptors()
        {
            Reset();
            Check("dup(1)", Sys("dup", 1), 3);
            Check("dup2(1, 100)", Sys("dup2", 1, 100), 100);
            Check("dup2 to itself", Sys("dup2", 100, 100), 100);
            Check("dup3 to itself", Sys("dup3", 100, 100, 0), -Errno.EINVAL);
            Check("dup3(O_CLOEXEC)", Sys("dup3", 1, 101, OCloExec), 101);
            Check("dup3 keeps O_CLOEXEC", Sys("fcntl", 101, 1), 1);
            Check("F_DUPFD_CLOEXEC from 50", Sys("fcntl", 1, 1030, 50), 50);
            Check("F_DUPFD from 50", Sys("fcntl", 1, 0, 50), 51);
            Check("dup of a bad fd", Sys("dup", 999), -Errno.EBADF);
            Check("dup2 beyond the limit", Sys("dup2", 1, 5000), -Errno.EBADF);
            Check("write through a dup", Sys("write", 100, Text("vfs: via dup2\n"), 14), 14);
            Sys("close", 3);
            Sys("close", 100);
            Sys("close", 101);
            Sys("close", 50);
            Sys("close", 51);
            Check("close of a negative fd", Sys("close", unchecked((ulong)-1)), -Errno.EBADF);
        }

        private static void DescriptorLimit()
        {
            Reset();
            ulong path = Text("/dev/null");
            long last = 0;
            int opened = 0;
            while (true)
            {
                long fd = Sys("open", path, ORdOnly);
                if (fd < 0) { last = fd; break; }
                opened++;
            }
            Check("EMFILE at the limit", last, -Errno.EMFILE);
            Check("descriptors available to open", opened, FileDescriptorTable.DefaultLimit - 3);
            for (int fd = 3; fd < FileDescriptorTable.DefaultLimit; fd++) Sys("close", (ulong)fd);
        }

        private static void Devices()
        {
            Reset();
            ulong buffer = Alloc(64);
            for (int i = 0; i < 64; i++) ((byte*)buffer)[i] = 0xAA;
            long fd = Sys("open", Text("/dev/zero"), ORdOnly);
            Check("read /dev/zero", Sys("read", (ulong)fd, buffer, 64), 64);
            Check("zeros", ((byte*)buffer)[0] == 0 && ((byte*)buffer)[63] == 0 ? 1 : 0, 1);
            Sys("close", (ulong)fd);
            fd = Sys("open", Text("/dev/null"), ORdWr);
            Check("write /dev/null", Sys("write", (ulong)fd, buffer, 64), 64);
            Check("read /dev/null", Sys("read", (ulong)fd, buffer, 64), 0);
            Check("ioctl TCGETS on /dev/null", Sys("ioctl", (ulong)fd, 0x5401, buffer), -Errno.ENOTTY);
            Sys("close", (ulong)fd);
            fd = Sys("open", Text("/dev/urandom"), ORdOnly | OCloExec);
            Check("read /dev/urandom", Sys("read", (ulong)fd, buffer, 64), 64);
            Sys("close", (ulong)fd);
        }

        private static void Transfers()
        {
            Reset();
            const int size = 10000;
            const ulong kernel = 0x100000;   // mapped, but not for ring 3
            ulong data = Alloc(size), back = Alloc(size);
            for (int i = 0; i < size; i++) ((byte*)data)[i] = (byte)(i * 13 + 1);
            ulong src = (ulong)Sys("open", Text("/tmp/src"), OCreat | ORdWr | OTrunc, 0x1A4);
            ulong dst = (ulong)Sys("open", Text("/tmp/dst"), OCreat | ORdWr | OTrunc, 0x1A4);
            Check("source written", Sys("write", src, data, size), size);
            Sys("lseek", src, 0, 0);

            // copy_file_range, as File.Copy uses it (after probing with copy_file_range(-1, NULL, -1, NULL, 0, 0)).
            Check("copy_file_range probe: EBADF", Sys("copy_file_range", unchecked((ulong)-1), 0, unchecked((ulong)-1), 0, 0, 0), -Errno.EBADF);
            Check("copy_file_range of the whole file", Sys("copy_file_range", src, 0, dst, 0, 1UL << 40, 0), size);
            Check("fd_in's offset advanced", Sys("lseek", src, 0, 1), size);
            Check("fd_out's offset advanced", Sys("lseek", dst, 0, 1), size);
            Check("copy read back", Sys("pread64", dst, back, size, 0), size);
            Check("copy is the same bytes", Same((byte*)data, (byte*)back, size) ? 1 : 0, 1);
            Check("copy_file_range at the end", Sys("copy_file_range", src, 0, dst, 0, 100, 0), 0);
            ulong offsetIn = Alloc(8), offsetOut = Alloc(8);
            *(long*)offsetIn = 5;
            *(long*)offsetOut = 3;
            Check("copy_file_range with both offsets", Sys("copy_file_range", src, offsetIn, dst, offsetOut, 10, 0), 10);
            Check("*off_in advanced", *(long*)offsetIn, 15);
            Check("*off_out advanced", *(long*)offsetOut, 13);
            Check("fd_in's own offset untouched", Sys("lseek", src, 0, 1), size);
            Sys("pread64", dst, back, 10, 3);
            Check("copied from 5 to 3", Same((byte*)data + 5, (byte*)back, 10) ? 1 : 0, 1);
            Check("copy_file_range flags", Sys("copy_file_range", src, 0, dst, 0, 10, 1), -Errno.EINVAL);
            Check("copy_file_range off_in in kernel memory", Sys("copy_file_range", src, kernel, dst, 0, 10, 0), -Errno.EFAULT);
            Check("copy_file_range bad fd_out", Sys("copy_file_range", src, 0, 77, 0, 10, 0), -Errno.EBADF);
            long proc = Sys("open", Text("/proc/meminfo"), ORdOnly);
            Check("copy_file_range across file systems", Sys("copy_file_range", (ulong)proc, 0, dst, 0, 10, 0), -Errno.EXDEV);
            Check("copy_file_range from the console", Sys("copy_file_range", 0, 0, dst, 0, 10, 0), -Errno.EINVAL);   // not a regular file

            // sendfile, with and without an offset, to a file, the console and a pipe.
            Sys("ftruncate", dst, 0);
            Sys("lseek", dst, 0, 0);
            Sys("lseek", src, 0, 0);
            Check("sendfile", Sys("sendfile", dst, src, 0, 1UL << 40), size);
            Check("in_fd's offset advanced", Sys("lseek", src, 0, 1), size);
            Check("sendfile copy read back", Sys("pread64", dst, back, size, 0), size);
            Check("sendfile copy is the same bytes", Same((byte*)data, (byte*)back, size) ? 1 : 0, 1);
            ulong offset = Alloc(8);
            *(long*)offset = size - 10;
            Check("sendfile with an offset near the end", Sys("sendfile", dst, src, offset, 100), 10);
            Check("*offset advanced", *(long*)offset, size);
            Check("sendfile offset in kernel memory", Sys("sendfile", dst, src, kernel, 10), -Errno.EFAULT);
            Check("sendfile from the console: end of file", Sys("sendfile", dst, 0, 0, 10), 0);
            Check("sendfile with an offset on the console", Sys("sendfile", dst, 0, offset, 10), -Errno.ESPIPE);
            Check("sendfile to an O_RDONLY fd", Sys("sendfile", (ulong)proc, src, 0, 10), -Errno.EBADF);
            ulong message = Text("vfs: written through sendfile(1)\n");
            long note = Sys("open", Text("/tmp/note"), OCreat | ORdWr | OTrunc, 0x1A4);
            Sys("write", (ulong)note, message, 33);
            *(long*)offset = 0;
            Check("sendfile to the console", Sys("sendfile", 1, (ulong)note, offset, 33), 33);
            ulong fds = Alloc(8);
            Sys("pipe2", fds, ONonBlock);
            ulong readEnd = (ulong)((int*)fds)[0], writeEnd = (ulong)((int*)fds)[1];
            *(long*)offset = 0;
            Check("sendfile into a pipe", Sys("sendfile", writeEnd, src, offset, size), size);
            Check("out of the pipe", Sys("read", readEnd, back, size), size);
            Check("through the pipe unchanged", Same((byte*)data, (byte*)back, size) ? 1 : 0, 1);
            Check("sendfile out of a pipe", Sys("sendfile", dst, readEnd, 0, 10), -Errno.EINVAL);
            Check("sendfile with an offset on a pipe", Sys("sendfile", dst, readEnd, offset, 10), -Errno.ESPIPE);

            Sys("close", src);
            Sys("close", dst);
            Sys("close", (ulong)proc);
            Sys("close", (ulong)note);
            Sys("close", readEnd);
            Sys("close", writeEnd);
            Sys("unlink", Text("/tmp/src"));
            Sys("unlink", Text("/tmp/dst"));
            Sys("unlink", Text("/tmp/note"));
        }

        private static void Attributes()
        {
            Reset();
            const long UtimeNow = (1L << 30) - 1, UtimeOmit = (1L << 30) - 2;
            const ulong kernel = 0x100000;
            ulong path = Text("/tmp/t"), missing = Text("/tmp/missing"), st = Alloc(144), times = Alloc(32);
            long fd = Sys("open", path, OCreat | ORdWr, 0x1A4);
            long* t = (long*)times;

            // utimensat: explicit times to the nanosecond, read back by stat.
            t[0] = 1000; t[1] = 5; t[2] = 2000; t[3] = 999_999_999;
            Check("utimensat", Sys("utimensat", unchecked((ulong)AtFdCwd), path, times, 0), 0);
            Sys("stat", path, st);
            Check("st_atime", *(long*)(st + 72), 1000);
            Check("st_atime nsec", *(long*)(st + 80), 5);
            Check("st_mtime", *(long*)(st + 88), 2000);
            Check("st_mtime nsec", *(long*)(st + 96), 999_999_999);
            Check("st_ctime is now", *(long*)(st + 104) > 1_700_000_000 ? 1 : 0, 1);
            // futimens(fd, times) is utimensat(fd, NULL, times, 0); UTIME_OMIT keeps the access time.
            t[1] = UtimeOmit; t[2] = 3000; t[3] = 1;
            Check("futimens", Sys("utimensat", (ulong)fd, 0, times, 0), 0);
            Sys("fstat", (ulong)fd, st);
            Check("UTIME_OMIT kept st_atime", *(long*)(st + 72), 1000);
            Check("futimens st_mtime", *(long*)(st + 88), 3000);
            t[1] = 0; t[3] = UtimeNow;
            Check("UTIME_NOW", Sys("utimensat", (ulong)fd, 0, times, 0), 0);
            Sys("fstat", (ulong)fd, st);
            Check("UTIME_NOW st_mtime is now", *(long*)(st + 88) > 1_700_000_000 ? 1 : 0, 1);
            Check("utimensat NULL times", Sys("utimensat", unchecked((ulong)AtFdCwd), path, 0, 0), 0);
            Check("utimensat AT_SYMLINK_NOFOLLOW", Sys("utimensat", unchecked((ulong)AtFdCwd), path, 0, AtSymlinkNoFollow), 0);
            Check("utimensat(AT_FDCWD, NULL)", Sys("utimensat", unchecked((ulong)AtFdCwd), 0, times, 0), -Errno.EFAULT);
            Check("utimensat(AT_FDCWD, NULL, AT_EMPTY_PATH)", Sys("utimensat", unchecked((ulong)AtFdCwd), 0, times, AtEmptyPath), -Errno.EFAULT);
            Check("futimens with flags", Sys("utimensat", (ulong)fd, 0, times, AtSymlinkNoFollow), -Errno.EINVAL);
            Check("futimens bad fd", Sys("utimensat", 77, 0, times, 0), -Errno.EBADF);
            long opath = Sys("open", path, OPath);
            Check("futimens on O_PATH", Sys("utimensat", (ulong)opath, 0, times, 0), -Errno.EBADF);
            Check("utimensat O_PATH + AT_EMPTY_PATH", Sys("utimensat", (ulong)opath, Text(""), times, AtEmptyPath), 0);
            Check("utimensat empty path", Sys("utimensat", (ulong)fd, Text(""), times, 0), -Errno.ENOENT);
            Check("utimensat bad flags", Sys("utimensat", unchecked((ulong)AtFdCwd), path, times, 8), -Errno.EINVAL);
            t[3] = 1_000_000_000;
            Check("utimensat bad nsec", Sys("utimensat", unchecked((ulong)AtFdCwd), path, times, 0), -Errno.EINVAL);
            Check("utimensat bad nsec, missing file", Sys("utimensat", unchecked((ulong)AtFdCwd), missing, times, 0), -Errno.ENOENT);
            t[1] = UtimeOmit; t[3] = UtimeOmit;
            Check("utimensat both UTIME_OMIT: nothing checked", Sys("utimensat", unchecked((ulong)AtFdCwd), missing, times, 8), 0);
            Check("utimensat times in kernel memory", Sys("utimensat", unchecked((ulong)AtFdCwd), path, kernel, 0), -Errno.EFAULT);
            Check("utimensat on the read-only root", Sys("utimensat", unchecked((ulong)AtFdCwd), Text("/app"), 0, 0), -Errno.EROFS);

            // futimesat and utimes (struct timeval), utime (struct utimbuf).
            t[0] = 3000; t[1] = 7; t[2] = 4000; t[3] = 999_999;
            Check("futimesat", Sys("futimesat", unchecked((ulong)AtFdCwd), path, times), 0);
            Sys("stat", path, st);
            Check("futimesat st_atime nsec", *(long*)(st + 80), 7000);
            Check("futimesat st_mtime", *(long*)(st + 88), 4000);
            Check("futimesat st_mtime nsec", *(long*)(st + 96), 999_999_000);
            t[3] = 1_000_000;
            Check("futimesat tv_usec 10^6", Sys("futimesat", unchecked((ulong)AtFdCwd), path, times), -Errno.EINVAL);
            Check("futimesat(fd, NULL, NULL)", Sys("futimesat", (ulong)fd, 0, 0), 0);
            Check("utimes(path, NULL)", Sys("utimes", path, 0), 0);
            t[0] = 5000; t[1] = 6000;
            Check("utime", Sys("utime", path, times), 0);
            Sys("stat", path, st);
            Check("utime st_atime", *(long*)(st + 72), 5000);
            Check("utime st_mtime", *(long*)(st + 88), 6000);
            Check("utime st_mtime nsec", *(long*)(st + 96), 0);

            // The chown family: root and "unchanged" only.
            Check("chown 0 0", Sys("chown", path, 0, 0), 0);
            Check("chown -1 -1", Sys("chown", path, 0xFFFF_FFFF, 0xFFFF_FFFF), 0);
            Check("chown to uid 1000", Sys("chown", path, 1000, 0xFFFF_FFFF), -Errno.EINVAL);
            Check("lchown", Sys("lchown", path, 0, 0), 0);
            Check("fchown", Sys("fchown", (ulong)fd, 0, 0xFFFF_FFFF), 0);
            Check("fchown on O_PATH", Sys("fchown", (ulong)opath, 0, 0), -Errno.EBADF);
            Check("fchownat AT_EMPTY_PATH", Sys("fchownat", (ulong)opath, Text(""), 0, 0, AtEmptyPath), 0);
            Check("fchownat bad flags", Sys("fchownat", unchecked((ulong)AtFdCwd), path, 0, 0, 2), -Errno.EINVAL);
            Check("fchownat NULL path, AT_EMPTY_PATH", Sys("fchownat", (ulong)fd, 0, 0, 0, AtEmptyPath), -Errno.EFAULT);
            Check("chown missing", Sys("chown", missing, 0, 0), -Errno.ENOENT);
            Check("chown on the read-only root", Sys("chown", Text("/app"), 0, 0), -Errno.EROFS);
            Sys("fstat", (ulong)fd, st);
            Check("still owned by root", *(uint*)(st + 28) | *(uint*)(st + 32), 0);

            Sys("close", (ulong)opath);
            Sys("close", (ulong)fd);
            Sys("unlink", path);
        }

        private static void BadPointers()
        {
            Reset();
            ulong kernel = 0x100000;   // the kernel image: mapped, but not for ring 3
            ulong buffer = Alloc(64);
            long fd = Sys("open", Text("/proc/meminfo"), ORdOnly);
            Check("read into kernel memory", Sys("read", (ulong)fd, kernel, 16), -Errno.EFAULT);
            Check("write from kernel memory", Sys("write", 1, kernel, 16), -Errno.EFAULT);
            Check("path in kernel memory", Sys("open", kernel, ORdOnly), -Errno.EFAULT);
            Check("null path", Sys("open", 0, ORdOnly), -Errno.EFAULT);
            Check("stat into null", Sys("stat", Text("/tmp"), 0), -Errno.EFAULT);
            Check("fstat into kernel memory", Sys("fstat", (ulong)fd, kernel), -Errno.EFAULT);
            Check("pipe2 into kernel memory", Sys("pipe2", kernel, 0), -Errno.EFAULT);
            Check("poll on kernel memory", Sys("poll", kernel, 1, 0), -Errno.EFAULT);
            Check("getdents64 into kernel memory", Sys("getdents64", (ulong)fd, kernel, 64), -Errno.EFAULT);
            Check("read on a bad fd", Sys("read", 77, buffer, 1), -Errno.EBADF);
            Sys("close", (ulong)fd);
        }

        // ---- helpers ----

        // Runs one system call, named as Linux names it, the way the syscall entry does: a frame with rax and
        // the argument registers.
        private static long Sys(string call, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0)
        {
            InterruptFrame frame = default;
            frame.Rax = SyscallTable.NumberOf(call);
            frame.Rdi = a0; frame.Rsi = a1; frame.Rdx = a2; frame.R10 = a3; frame.R8 = a4; frame.R9 = a5;
            SyscallTable.Dispatch(&frame);
            UserAccess.Begin();   // the dispatcher closed SMAP's window; the test reads its pages like the app
            return (long)frame.Rax;
        }

        private static void Check(string what, long actual, long expected)
        {
            s_checks++;
            if (actual == expected) return;
            s_failures++;
            KernelConsole.Prefix();
            KernelConsole.Write("vfs FAIL ");
            KernelConsole.Write(what);
            KernelConsole.Write(": got ");
            KernelConsole.WriteSigned(actual);
            KernelConsole.Write(", expected ");
            KernelConsole.WriteSigned(expected);
            KernelConsole.WriteLine();
        }

        private static void Reset() => s_next = s_user;

        private static ulong Alloc(int size)
        {
            ulong at = s_next;
            s_next += (ulong)((size + 15) & ~15);
            if (s_next > s_user + UserPages * PageSize) Panic.Fail("selftest vfs: user scratch space exhausted");
            for (int i = 0; i < size; i++) ((byte*)at)[i] = 0;
            return at;
        }

        private static ulong Text(string text)
        {
            ulong at = Alloc(text.Length + 1);
            for (int i = 0; i < text.Length; i++) ((byte*)at)[i] = (byte)text[i];
            return at;
        }

        private static bool StartsWith(byte* bytes, long length, string prefix)
        {
            if (length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (bytes[i] != prefix[i]) return false;
            return true;
        }

        private static bool Same(byte* a, byte* b, int length)
        {
            for (int i = 0; i < length; i++) if (a[i] != b[i]) return false;
            return true;
        }

        private static ulong ParseNumberAfter(byte* text, long length, int start)
        {
            int i = start;
            while (i < length && text[i] == ' ') i++;
            ulong value = 0;
            while (i < length && text[i] >= '0' && text[i] <= '9') value = value * 10 + (ulong)(text[i++] - '0');
            return value;
        }

        // The number of linux_dirent64 records, provided "." and ".." and the two names are among them.
        private static long CountEntries(byte* buffer, long length, string a, string b)
        {
            long count = 0;
            bool dot = false, dotdot = false, sawA = false, sawB = false;
            for (long at = 0; at < length;)
            {
                ushort size = *(ushort*)(buffer + at + 16);
                byte* name = buffer + at + 19;
                if (NameIs(name, ".")) dot = true;
                if (NameIs(name, "..")) dotdot = true;
                if (NameIs(name, a)) sawA = true;
                if (NameIs(name, b)) sawB = true;
                count++;
                if (size == 0) break;
                at += size;
            }
            return dot && dotdot && sawA && sawB ? count : -count - 100;
        }

        private static bool NameIs(byte* name, string text)
        {
            for (int i = 0; i < text.Length; i++) if (name[i] != text[i]) return false;
            return name[text.Length] == 0;
        }

        // Prints a file through open/read/close, each line as "uk: vfs | <line>".
        private static void PrintFile(string path, bool print)
        {
            ulong saved = s_next;
            ulong name = Text(path);
            ulong buffer = Alloc(4096);
            long fd = Sys("open", name, 0);
            if (fd < 0)
            {
                Check("open for printing", fd, 0);
                s_next = saved;
                return;
            }
            if (print)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("vfs | == ");
                KernelConsole.WriteLine(path);
            }
            bool lineStart = true;
            while (true)
            {
                long n = Sys("read", (ulong)fd, buffer, 4096);
                if (n <= 0) break;
                for (long i = 0; print && i < n; i++)
                {
                    if (lineStart) { KernelConsole.Prefix(); KernelConsole.Write("vfs | "); lineStart = false; }
                    byte c = ((byte*)buffer)[i];
                    KernelConsole.Write(c == '\t' ? ' ' : (char)c);
                    if (c == '\n') lineStart = true;
                }
            }
            Sys("close", (ulong)fd);
            s_next = saved;
        }

        private static void WriteCacheAttribute(int index, string attribute)
        {
            // Through the VFS, like the runtime reads it: /sys/devices/system/cpu/cpu0/cache/indexN/<attribute>.
            ulong saved = s_next;
            ulong path = Alloc(128);
            byte* p = (byte*)path;
            string prefix = "/sys/devices/system/cpu/cpu0/cache/index";
            int n = 0;
            for (int i = 0; i < prefix.Length; i++) p[n++] = (byte)prefix[i];
            p[n++] = (byte)('0' + index);
            p[n++] = (byte)'/';
            for (int i = 0; i < attribute.Length; i++) p[n++] = (byte)attribute[i];
            p[n] = 0;
            ulong buffer = Alloc(64);
            long fd = Sys("open", path, 0);
            long length = fd < 0 ? 0 : Sys("read", (ulong)fd, buffer, 63);
            if (fd >= 0) Sys("close", (ulong)fd);
            KernelConsole.Write(attribute);
            KernelConsole.Write('=');
            for (long i = 0; i < length && ((byte*)buffer)[i] != '\n'; i++) KernelConsole.Write((char)((byte*)buffer)[i]);
            KernelConsole.Write(' ');
            s_next = saved;
        }
    }
}
#endif
