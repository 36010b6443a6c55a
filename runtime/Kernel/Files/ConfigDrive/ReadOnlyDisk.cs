namespace Kernel.Files.ConfigDrive
{
    // What the volume readers read: a disk as a range of bytes. The kernel's is a virtio-blk device
    // (Devices/Virtio/VirtioBlock), the host tests' an image file's bytes; the readers never see sectors.
    internal abstract unsafe class ReadOnlyDisk
    {
        /// <summary>The disk's size in bytes.</summary>
        public abstract ulong Size { get; }

        /// <summary>Copies <paramref name="length"/> bytes from <paramref name="offset"/>; false when the range is past the end or the device failed.</summary>
        public abstract bool Read(ulong offset, byte* destination, int length);
    }
}
