namespace Unikernel.Loaders.Bios;

/// <summary>
/// Whether INT 10h reaches a screen. The loader prints on COM1 itself and also through INT 10h's teletype only when the
/// vector points into a video BIOS (segment C000h, where a VGA option ROM lives). Otherwise the handler is the BIOS's
/// own: SeaBIOS without a VGA card (QEMU -nographic) sends INT 10h text to the serial console ("sercon"), which would
/// print every message twice, interleaved with the direct copy, or a stub that prints nothing.
/// </summary>
internal static class VideoBios
{
    /// <summary>The segment half of the real-mode interrupt vector 10h.</summary>
    public const ushort Int10Segment = 0x10 * 4 + 2;

    public const ushort Segment = 0xC000;
}
