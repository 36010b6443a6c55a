using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // The character devices with no hardware behind them: /dev/null, /dev/zero, /dev/random and
    // /dev/urandom (the console is ConsoleNode).
    internal sealed class DeviceNode : VfsNode
    {
        public const int Null = 0, Zero = 1, Random = 2;

        public readonly int Kind;
        private readonly ulong _device;

        public DeviceNode(SuperBlock fileSystem, int kind, uint major, uint minor)
            : base(fileSystem, FileTypeBits.CharacterDevice | 0x1B6)   // crw-rw-rw-
        {
            Kind = kind;
            _device = FileTypeBits.MakeDevice(major, minor);
        }

        public override ulong DeviceNumber => _device;
        public override bool IsWritableContent => true;

        public override long Open(int flags, out OpenFile file)
        {
            file = new DeviceHandle(this, flags);
            return 0;
        }
    }
}
