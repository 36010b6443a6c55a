namespace Kernel.Files
{
    // Fills a directory on its first use, once: the image's directories (Image/ImageFileSystem.cs) link their entries
    // only when something looks into them, so a boot does not build the nodes of files no one opens (tzdata's ~600).
    internal abstract class DirectoryFiller
    {
        public abstract void Fill(DirectoryNode directory);
    }
}
