namespace Kernel.Files
{
    // What resolving a path found: the directory holding the last component, the last component's name
    // (pointing into the path or a symlink target, valid until the tree changes) and its node, or null
    // when it does not exist -- which is not an error yet: open(O_CREAT), mkdir and rename create it.
    internal unsafe struct PathLookup
    {
        public DirectoryNode Parent;
        public VfsNode Node;
        public byte* Name;
        public int NameLength;
        public bool TrailingSlash;

        /// <summary>"/" or a path of only slashes: no last component, Node is the root.</summary>
        public bool IsRoot => NameLength == 0;
        public bool IsDot => FileNames.IsDot(Name, NameLength);
        public bool IsDotDot => FileNames.IsDotDot(Name, NameLength);
    }
}
