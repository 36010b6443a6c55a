namespace Kernel.Syscalls
{
    // Names and argument counts of Linux x86-64 system calls, for the trace (uk.strace) and for the
    // report of unimplemented calls. Numbers from the kernel's syscall_64.tbl.
    internal static class SyscallNames
    {
        public static string Name(ulong number)
        {
            switch (number)
            {
                case 0: return "read";
                case 1: return "write";
                case 2: return "open";
                case 3: return "close";
                case 4: return "stat";
                case 5: return "fstat";
                case 6: return "lstat";
                case 7: return "poll";
                case 8: return "lseek";
                case 9: return "mmap";
                case 10: return "mprotect";
                case 11: return "munmap";
                case 12: return "brk";
                case 13: return "rt_sigaction";
                case 14: return "rt_sigprocmask";
                case 15: return "rt_sigreturn";
                case 16: return "ioctl";
                case 17: return "pread64";
                case 18: return "pwrite64";
                case 19: return "readv";
                case 20: return "writev";
                case 21: return "access";
                case 22: return "pipe";
                case 23: return "select";
                case 24: return "sched_yield";
                case 25: return "mremap";
                case 26: return "msync";
                case 27: return "mincore";
                case 28: return "madvise";
                case 32: return "dup";
                case 33: return "dup2";
                case 34: return "pause";
                case 35: return "nanosleep";
                case 39: return "getpid";
                case 40: return "sendfile";
                case 41: return "socket";
                case 42: return "connect";
                case 43: return "accept";
                case 44: return "sendto";
                case 45: return "recvfrom";
                case 46: return "sendmsg";
                case 47: return "recvmsg";
                case 48: return "shutdown";
                case 49: return "bind";
                case 50: return "listen";
                case 51: return "getsockname";
                case 52: return "getpeername";
                case 54: return "setsockopt";
                case 55: return "getsockopt";
                case 56: return "clone";
                case 57: return "fork";
                case 58: return "vfork";
                case 59: return "execve";
                case 60: return "exit";
                case 61: return "wait4";
                case 62: return "kill";
                case 63: return "uname";
                case 72: return "fcntl";
                case 73: return "flock";
                case 74: return "fsync";
                case 75: return "fdatasync";
                case 76: return "truncate";
                case 77: return "ftruncate";
                case 78: return "getdents";
                case 79: return "getcwd";
                case 80: return "chdir";
                case 82: return "rename";
                case 83: return "mkdir";
                case 84: return "rmdir";
                case 85: return "creat";
                case 86: return "link";
                case 87: return "unlink";
                case 88: return "symlink";
                case 89: return "readlink";
                case 90: return "chmod";
                case 91: return "fchmod";
                case 92: return "chown";
                case 93: return "fchown";
                case 94: return "lchown";
                case 95: return "umask";
                case 96: return "gettimeofday";
                case 97: return "getrlimit";
                case 98: return "getrusage";
                case 99: return "sysinfo";
                case 100: return "times";
                case 102: return "getuid";
                case 104: return "getgid";
                case 107: return "geteuid";
                case 108: return "getegid";
                case 110: return "getppid";
                case 111: return "getpgrp";
                case 112: return "setsid";
                case 127: return "rt_sigpending";
                case 128: return "rt_sigtimedwait";
                case 130: return "rt_sigsuspend";
                case 131: return "sigaltstack";
                case 132: return "utime";
                case 137: return "statfs";
                case 138: return "fstatfs";
                case 157: return "prctl";
                case 158: return "arch_prctl";
                case 160: return "setrlimit";
                case 186: return "gettid";
                case 200: return "tkill";
                case 201: return "time";
                case 202: return "futex";
                case 203: return "sched_setaffinity";
                case 204: return "sched_getaffinity";
                case 213: return "epoll_create";
                case 217: return "getdents64";
                case 218: return "set_tid_address";
                case 221: return "fadvise64";
                case 228: return "clock_gettime";
                case 229: return "clock_getres";
                case 230: return "clock_nanosleep";
                case 231: return "exit_group";
                case 232: return "epoll_wait";
                case 233: return "epoll_ctl";
                case 234: return "tgkill";
                case 235: return "utimes";
                case 239: return "get_mempolicy";
                case 253: return "inotify_init";
                case 254: return "inotify_add_watch";
                case 255: return "inotify_rm_watch";
                case 257: return "openat";
                case 258: return "mkdirat";
                case 260: return "fchownat";
                case 261: return "futimesat";
                case 262: return "newfstatat";
                case 263: return "unlinkat";
                case 264: return "renameat";
                case 267: return "readlinkat";
                case 268: return "fchmodat";
                case 269: return "faccessat";
                case 270: return "pselect6";
                case 271: return "ppoll";
                case 273: return "set_robust_list";
                case 274: return "get_robust_list";
                case 280: return "utimensat";
                case 281: return "epoll_pwait";
                case 284: return "eventfd";
                case 285: return "fallocate";
                case 288: return "accept4";
                case 290: return "eventfd2";
                case 291: return "epoll_create1";
                case 292: return "dup3";
                case 293: return "pipe2";
                case 294: return "inotify_init1";
                case 302: return "prlimit64";
                case 309: return "getcpu";
                case 318: return "getrandom";
                case 319: return "memfd_create";
                case 324: return "membarrier";
                case 326: return "copy_file_range";
                case 332: return "statx";
                case 334: return "rseq";
                case 435: return "clone3";
                case 439: return "faccessat2";
                default: return null;
            }
        }

        public static int ArgumentCount(ulong number)
        {
            switch (number)
            {
                case 15: case 24: case 34: case 39: case 57: case 58: case 102: case 104: case 107: case 108: case 110: case 111:
                case 112: case 186: case 253: return 0;
                case 3: case 12: case 22: case 32: case 60: case 63: case 74: case 75: case 80: case 84: case 87: case 95:
                case 99: case 100: case 201: case 213: case 218: case 231: case 284: case 291: case 294: return 1;
                case 4: case 5: case 6: case 11: case 21: case 33: case 35: case 48: case 50: case 62: case 73: case 76:
                case 77: case 79: case 82: case 83: case 85: case 86: case 88: case 90: case 91: case 96: case 97: case 98:
                case 127: case 130: case 131: case 137: case 138: case 158: case 160: case 200: case 228: case 229: case 255: case 273:
                case 290: case 293: case 319: case 435: case 132: case 235: return 2;
                case 0: case 1: case 2: case 7: case 8: case 10: case 16: case 19: case 20: case 26: case 27: case 28:
                case 41: case 42: case 43: case 46: case 47: case 49: case 51: case 52: case 59: case 72: case 78: case 89:
                case 92: case 93: case 94: case 261: case 203: case 204: case 217: case 234: case 254: case 258: case 263: case 268: case 269: case 274: case 292:
                case 318: case 324: return 3;
                case 13: case 14: case 17: case 18: case 61: case 128: case 221: case 230: case 232: case 233: case 257: case 262:
                case 264: case 267: case 285: case 288: case 302: case 334: case 439: case 40: case 280: return 4;
                case 23: case 25: case 54: case 55: case 56: case 157: case 239: case 271: case 332: case 260: return 5;
                case 9: case 44: case 45: case 202: case 270: case 281: case 326: return 6;
                default: return 6;
            }
        }
    }
}
