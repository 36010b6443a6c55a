using Kernel.Console;
using Kernel.LinuxAbi;
using Kernel.Syscalls;

namespace Kernel.Files.Synthetic
{
    // The console: the serial port as a terminal (/dev/console, /dev/tty, and fds 0-2 at start). Writes
    // go to the UART byte for byte, unchanged (no "\n" -> "\r\n": what the app writes is what the host
    // sees). Input is not wired yet: reads return 0, end of file, and poll reports it readable so a reader
    // never waits for input that cannot come. Terminal ioctls (tcgetattr/tcsetattr, window size, isatty's
    // TIOCGWINSZ) work on a kept termios; the rest are ENOTTY.
    //
    // Whether fds 0-2 are a terminal is the host's to say (uk.console.tty, AppFileTree): the console ends where `uk run`'s
    // stdout goes, a file or pipe as often as a terminal, and loggers colour their output exactly when isatty says so.
    // A description that is not a terminal answers every ioctl ENOTTY, as Linux's /dev/null does (a character device,
    // not a tty). /dev/console and /dev/tty opened by name are always terminals: that is what those devices are.
    internal sealed class ConsoleNode : VfsNode
    {
        public const uint Major = 5, Minor = 1;   // /dev/console

        public ConsoleNode(SuperBlock fileSystem) : base(fileSystem, FileTypeBits.CharacterDevice | 0x180) { }   // crw-------

        public override ulong DeviceNumber => FileTypeBits.MakeDevice(Major, Minor);
        public override bool IsWritableContent => true;

        public override long Open(int flags, out OpenFile file)
        {
            file = new ConsoleHandle(this, flags, true);
            return 0;
        }

        /// <summary>A description of the standard streams at start (fds 0 and 1 share one, fd 2 has its own: AppFileTree): a terminal only when <paramref name="terminal"/> says so.</summary>
        public OpenFile OpenStandardStreams(int flags, bool terminal, bool standardError) => new ConsoleHandle(this, flags, terminal, standardError);
    }

    internal sealed unsafe class ConsoleHandle : OpenFile
    {
        // ioctl requests (asm-generic/ioctls.h).
        public const uint TerminalGetAttributes = 0x5401, TerminalSetAttributes = 0x5402;
        public const uint TerminalSetAttributesDrain = 0x5403, TerminalSetAttributesFlush = 0x5404;
        public const uint SetControllingTerminal = 0x540E, GetProcessGroup = 0x540F, SetProcessGroup = 0x5410;
        public const uint GetWindowSize = 0x5413, SetWindowSize = 0x5414, BytesToRead = 0x541B, GetSession = 0x5429;

        // The kernel's struct termios (what TCGETS copies): 4 flag words, c_line, c_cc[19] = 36 bytes.
        private const int TermiosSize = 36;
        private const int WindowSizeSize = 8;

        private struct Termios { public fixed byte Bytes[TermiosSize]; }
        private static Termios s_termios;
        private static bool s_termiosReady;
        private static ushort s_rows = 24, s_columns = 80;

        private readonly bool _terminal;
        private readonly bool _standardError;   // fd 2's own description: shipped lines say stderr (Logs/LogTap)

        public ConsoleHandle(ConsoleNode node, int flags, bool terminal, bool standardError = false) : base(node, flags)
        {
            _terminal = terminal;
            _standardError = standardError;
        }

        public override long Read(byte* buffer, long count) => 0;

        public override long Write(byte* buffer, long count)
        {
            Process.AppTiming.NoteOutput();
            SerialPort.Write(buffer, count);
            Logs.LogTap.App(_standardError, buffer, count);
            return count;
        }

        public override uint Poll() => PollBits.Readable | PollBits.Writable;
        public override bool SupportsEpoll => true;
        public override bool CanSpliceRead => true;
        public override bool CanSpliceWrite => true;

        public override long Ioctl(uint request, ulong argument)
        {
            if (!_terminal) return -Errno.ENOTTY;
            switch (request)
            {
                case TerminalGetAttributes:
                    if (!UserMemory.IsWritableUserRange(argument, TermiosSize)) return -Errno.EFAULT;
                    fixed (Termios* t = &s_termios) { EnsureDefaults(t); Copy((byte*)argument, t->Bytes, TermiosSize); }
                    return 0;
                case TerminalSetAttributes:
                case TerminalSetAttributesDrain:
                case TerminalSetAttributesFlush:
                    if (!UserMemory.IsUserRange(argument, TermiosSize)) return -Errno.EFAULT;
                    fixed (Termios* t = &s_termios) { Copy(t->Bytes, (byte*)argument, TermiosSize); s_termiosReady = true; }
                    return 0;
                case GetWindowSize:
                    if (!UserMemory.IsWritableUserRange(argument, WindowSizeSize)) return -Errno.EFAULT;
                    ((ushort*)argument)[0] = s_rows;
                    ((ushort*)argument)[1] = s_columns;
                    ((ushort*)argument)[2] = 0;
                    ((ushort*)argument)[3] = 0;
                    return 0;
                case SetWindowSize:
                    if (!UserMemory.IsUserRange(argument, WindowSizeSize)) return -Errno.EFAULT;
                    s_rows = ((ushort*)argument)[0];
                    s_columns = ((ushort*)argument)[1];
                    return 0;
                case GetProcessGroup:
                case GetSession:
                    // One process, leader of its session and group; its pid is 1.
                    if (!UserMemory.IsWritableUserRange(argument, 4)) return -Errno.EFAULT;
                    *(int*)argument = 1;
                    return 0;
                case SetProcessGroup:
                case SetControllingTerminal:
                    return 0;
                case BytesToRead:
                    if (!UserMemory.IsWritableUserRange(argument, 4)) return -Errno.EFAULT;
                    *(int*)argument = 0;
                    return 0;
                default:
                    return -Errno.ENOTTY;
            }
        }

        // Linux's defaults for a fresh terminal (`stty sane`): ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD|HUPCL,
        // ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, and the usual control characters.
        private static void EnsureDefaults(Termios* t)
        {
            if (s_termiosReady) return;
            uint* flags = (uint*)t->Bytes;
            flags[0] = 0x0500;
            flags[1] = 0x0005;
            flags[2] = 0x00BF;
            flags[3] = 0x8A3B;
            byte* cc = t->Bytes + 17;   // after c_line
            cc[0] = 3; cc[1] = 0x1C; cc[2] = 0x7F; cc[3] = 0x15; cc[4] = 4; cc[5] = 0; cc[6] = 1; cc[7] = 0;
            cc[8] = 0x11; cc[9] = 0x13; cc[10] = 0x1A; cc[11] = 0; cc[12] = 0x12; cc[13] = 0x0F; cc[14] = 0x17;
            cc[15] = 0x16; cc[16] = 0;
            s_termiosReady = true;
        }

        private static void Copy(byte* destination, byte* source, int count)
        {
            for (int i = 0; i < count; i++) destination[i] = source[i];
        }
    }
}
