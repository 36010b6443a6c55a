using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // A symbolic link: its target path, resolved relative to the directory holding the link. The target
    // lives in raw memory the node owns, so path resolution can point into it.
    internal sealed unsafe class SymlinkNode : VfsNode
    {
        public byte* Target;
        public readonly int TargetLength;

        private SymlinkNode(SuperBlock fileSystem, byte* target, int length)
            : base(fileSystem, FileTypeBits.Symlink | 0x1FF)   // lrwxrwxrwx
        {
            Target = target;
            TargetLength = length;
        }

        /// <summary>A link to a copy of <paramref name="target"/>, or null when memory ran out.</summary>
        public static SymlinkNode Create(SuperBlock fileSystem, byte* target, int length)
        {
            byte* copy = FileMemory.Allocate((ulong)length + 1);
            if (copy == null) return null;
            for (int i = 0; i < length; i++) copy[i] = target[i];
            return new SymlinkNode(fileSystem, copy, length);
        }

        public static SymlinkNode Create(SuperBlock fileSystem, string target)
        {
            byte* bytes = stackalloc byte[target.Length];
            for (int i = 0; i < target.Length; i++) bytes[i] = (byte)target[i];
            return Create(fileSystem, bytes, target.Length);
        }

        public override long Size => TargetLength;
        public override bool IsWritableContent => false;

        // Opening a symlink itself is only possible with O_PATH, which never comes here.
        public override long Open(int flags, out OpenFile file)
        {
            file = null;
            return -Errno.ELOOP;
        }

        protected override void FreeContent()
        {
            FileMemory.Free(Target);
            Target = null;
        }
    }
}
