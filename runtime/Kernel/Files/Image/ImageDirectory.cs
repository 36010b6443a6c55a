namespace Kernel.Files.Image
{
    // A directory of the image's file system that only the image has: its entries are linked on its first use
    // (ImageFileSystem.Mount says why).
    internal sealed class ImageDirectory : DirectoryFiller
    {
        private readonly uint _index;

        public ImageDirectory(uint index) { _index = index; }

        public override void Fill(DirectoryNode directory) => ImageFileSystem.Fill(directory, _index);
    }
}
