namespace Kernel.Devices.Virtio
{
    // Numbers from the virtio 1.1 specification shared by both transports and every device: the device
    // status bits (2.1), the transport-independent feature bits (6) and the device types (5).
    internal static class VirtioConstants
    {
        public const byte StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8;
        public const byte StatusDeviceNeedsReset = 64, StatusFailed = 128;

        /// <summary>VIRTIO_F_VERSION_1: the device follows virtio 1.x (little-endian, 12-byte net header, ...).</summary>
        public const ulong FeatureVersion1 = 1UL << 32;

        public const uint DeviceNetwork = 1, DeviceBlock = 2;
    }
}
