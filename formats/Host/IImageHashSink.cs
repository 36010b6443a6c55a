namespace Unikernel.Formats
{
    /// <summary>Receives the bytes of the image hash's message; the linker feeds its own SHA-256 (it runs as a static
    /// executable without the BCL's OpenSSL-backed one), uk the BCL's.</summary>
    internal interface IImageHashSink
    {
        void Append(ReadOnlySpan<byte> bytes);
    }
}
