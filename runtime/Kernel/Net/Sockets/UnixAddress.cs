using Kernel.LinuxAbi;

namespace Kernel.Net.Sockets
{
    // struct sockaddr_un as Linux reads and reports it: sun_family (AF_UNIX) and up to 108 bytes of sun_path.
    // Three kinds: unnamed (only the family: 2 bytes), a path (the bytes up to the first NUL; Linux reports
    // 2 + strlen + 1), and an abstract name (a leading NUL, then exactly the bytes the app gave: its length is
    // the address length it passed). Kept by value, so a socket, a queued message and a lookup each hold a copy.
    internal unsafe struct UnixAddress
    {
        public const int FamilyOffset = 2, PathCapacity = 108, MaximumLength = FamilyOffset + PathCapacity;
        public const ushort FamilyUnix = 1;

        /// <summary>The sockaddr length Linux reports (2 for an unnamed socket).</summary>
        public int Length;
        /// <summary>sun_path's bytes as reported: a path with its NUL, or an abstract name with its leading NUL.</summary>
        public fixed byte Path[PathCapacity + 1];

        public bool IsUnnamed => Length <= FamilyOffset;
        public bool IsAbstract => Length > FamilyOffset && Path[0] == 0;
        public bool IsPath => Length > FamilyOffset && Path[0] != 0;

        /// <summary>A path's length without its NUL (what the VFS looks up).</summary>
        public int PathLength => IsPath ? Length - FamilyOffset - 1 : 0;

        public static UnixAddress Unnamed => new UnixAddress { Length = FamilyOffset };

        /// <summary>
        /// Decodes (<paramref name="address"/>, <paramref name="length"/>), a copy in kernel memory. 0, or -EINVAL
        /// (a length outside 2..110 or another family). AF_UNSPEC gives <paramref name="unspecified"/> (a datagram
        /// socket's disconnect).
        /// </summary>
        public static long Decode(byte* address, int length, out UnixAddress result, out bool unspecified)
        {
            result = Unnamed;
            unspecified = false;
            if (length < FamilyOffset || length > MaximumLength) return -Errno.EINVAL;
            ushort family = *(ushort*)address;
            if (family == 0) { unspecified = true; return 0; }
            if (family != FamilyUnix) return -Errno.EINVAL;
            int name = length - FamilyOffset;
            if (name == 0) return 0;
            byte* path = address + FamilyOffset;
            if (path[0] == 0)
            {
                for (int i = 0; i < name; i++) result.Path[i] = path[i];
                result.Length = length;
                return 0;
            }
            // Linux ends the path at the first NUL within the given length (or at the length).
            int n = 0;
            while (n < name && path[n] != 0) { result.Path[n] = path[n]; n++; }
            result.Path[n] = 0;
            result.Length = FamilyOffset + n + 1;
            return 0;
        }

        /// <summary>Writes the sockaddr into <paramref name="into"/> (room for MaximumLength + 1 bytes); the length Linux reports.</summary>
        public int Encode(byte* into)
        {
            *(ushort*)into = FamilyUnix;
            int name = Length - FamilyOffset;
            for (int i = 0; i < name; i++) into[FamilyOffset + i] = Path[i];
            return Length;
        }

        public bool SameAs(ref UnixAddress other)
        {
            if (Length != other.Length) return false;
            for (int i = 0; i < Length - FamilyOffset; i++) if (Path[i] != other.Path[i]) return false;
            return true;
        }

        /// <summary>An autobind name: a NUL and five hex digits, as Linux picks them.</summary>
        public static UnixAddress AbstractHex(uint number)
        {
            var result = new UnixAddress { Length = FamilyOffset + 6 };
            result.Path[0] = 0;
            for (int i = 0; i < 5; i++)
            {
                uint digit = (number >> ((4 - i) * 4)) & 0xF;
                result.Path[1 + i] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            }
            return result;
        }
    }
}
