using Kernel.LinuxAbi;

namespace Kernel.Files
{
    // A read-only file whose content a ContentGenerator writes when the file is opened. Like procfs, it
    // reports size 0 (its length is only known once generated); readers read until end of file.
    internal sealed unsafe class GeneratedFileNode : VfsNode
    {
        public readonly ContentGenerator Generator;

        public GeneratedFileNode(SuperBlock fileSystem, ContentGenerator generator, uint permissions = 0x124)   // r--r--r--
            : base(fileSystem, FileTypeBits.Regular | (permissions & FileTypeBits.PermissionMask))
        {
            Generator = generator;
        }

        public override bool IsWritableContent => false;

        public override long Open(int flags, out OpenFile file)
        {
            file = null;
            var text = new TextBuilder();
            Generator.Generate(text);
            if (text.Failed)
            {
                text.Dispose();
                return -Errno.ENOMEM;
            }
            long length;
            byte* data = text.TakeBytes(out length);
            text.Dispose();
            file = new SnapshotHandle(this, flags, data, length);
            return 0;
        }
    }
}
