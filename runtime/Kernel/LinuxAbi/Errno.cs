namespace Kernel.LinuxAbi
{
    // Linux error numbers (asm-generic/errno-base.h and errno.h), the socket calls' included; system calls return them negated.
    internal static class Errno
    {
        public const long EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7;
        public const long ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13;
        public const long EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20;
        public const long EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, EFBIG = 27;
        public const long ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32, ERANGE = 34;
        public const long ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61;
        public const long EOVERFLOW = 75, ENOTSOCK = 88, EOPNOTSUPP = 95, ETIMEDOUT = 110;
        // The socket calls' errors.
        public const long EDOM = 33, EDESTADDRREQ = 89, EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92, EPROTONOSUPPORT = 93;
        public const long ESOCKTNOSUPPORT = 94, EPFNOSUPPORT = 96, EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100;
        public const long ENETUNREACH = 101, ECONNABORTED = 103, ECONNRESET = 104, ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107;
        public const long ECONNREFUSED = 111, EHOSTUNREACH = 113, EALREADY = 114, EINPROGRESS = 115;
        public const long ERESTARTSYS = 512;

        /// <summary>The symbolic name (for the system call trace); "E?" for numbers not listed here.</summary>
        public static string Name(long errno)
        {
            switch (errno)
            {
                case EPERM: return "EPERM";
                case ENOENT: return "ENOENT";
                case ESRCH: return "ESRCH";
                case EINTR: return "EINTR";
                case EIO: return "EIO";
                case ENXIO: return "ENXIO";
                case E2BIG: return "E2BIG";
                case ENOEXEC: return "ENOEXEC";
                case EBADF: return "EBADF";
                case ECHILD: return "ECHILD";
                case EAGAIN: return "EAGAIN";
                case ENOMEM: return "ENOMEM";
                case EACCES: return "EACCES";
                case EFAULT: return "EFAULT";
                case EBUSY: return "EBUSY";
                case EEXIST: return "EEXIST";
                case EXDEV: return "EXDEV";
                case ENODEV: return "ENODEV";
                case ENOTDIR: return "ENOTDIR";
                case EISDIR: return "EISDIR";
                case EINVAL: return "EINVAL";
                case ENFILE: return "ENFILE";
                case EMFILE: return "EMFILE";
                case ENOTTY: return "ENOTTY";
                case EFBIG: return "EFBIG";
                case ENOSPC: return "ENOSPC";
                case ESPIPE: return "ESPIPE";
                case EROFS: return "EROFS";
                case EMLINK: return "EMLINK";
                case EPIPE: return "EPIPE";
                case ERANGE: return "ERANGE";
                case ENAMETOOLONG: return "ENAMETOOLONG";
                case ENOSYS: return "ENOSYS";
                case ENOTEMPTY: return "ENOTEMPTY";
                case ELOOP: return "ELOOP";
                case ENODATA: return "ENODATA";
                case EOVERFLOW: return "EOVERFLOW";
                case ENOTSOCK: return "ENOTSOCK";
                case EOPNOTSUPP: return "EOPNOTSUPP";
                case ETIMEDOUT: return "ETIMEDOUT";
                case EDOM: return "EDOM";
                case EDESTADDRREQ: return "EDESTADDRREQ";
                case EMSGSIZE: return "EMSGSIZE";
                case EPROTOTYPE: return "EPROTOTYPE";
                case ENOPROTOOPT: return "ENOPROTOOPT";
                case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
                case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
                case EPFNOSUPPORT: return "EPFNOSUPPORT";
                case EAFNOSUPPORT: return "EAFNOSUPPORT";
                case EADDRINUSE: return "EADDRINUSE";
                case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
                case ENETDOWN: return "ENETDOWN";
                case ENETUNREACH: return "ENETUNREACH";
                case ECONNABORTED: return "ECONNABORTED";
                case ECONNRESET: return "ECONNRESET";
                case ENOBUFS: return "ENOBUFS";
                case EISCONN: return "EISCONN";
                case ENOTCONN: return "ENOTCONN";
                case ECONNREFUSED: return "ECONNREFUSED";
                case EHOSTUNREACH: return "EHOSTUNREACH";
                case EALREADY: return "EALREADY";
                case EINPROGRESS: return "EINPROGRESS";
                case ERESTARTSYS: return "ERESTARTSYS";
                default: return "E?";
            }
        }
    }
}
