namespace Kernel.Net
{
    // The Linux errno values of the socket calls (x86-64), beside LinuxAbi/Errno's file-system ones.
    internal static class NetErrors
    {
        public const long EDOM = 33;
        public const long ENOTSOCK = 88, EDESTADDRREQ = 89, EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92;
        public const long EPROTONOSUPPORT = 93, ESOCKTNOSUPPORT = 94, EOPNOTSUPP = 95, EPFNOSUPPORT = 96, EAFNOSUPPORT = 97;
        public const long EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101, ECONNABORTED = 103;
        public const long ECONNRESET = 104, ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110;
        public const long ECONNREFUSED = 111, EHOSTUNREACH = 113, EALREADY = 114, EINPROGRESS = 115;
    
        /// <summary>The symbolic name of a socket errno (for the system call trace), or null.</summary>
        public static string Name(long errno)
        {
            switch (errno)
            {
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
                default: return null;
            }
        }
    }
}
