namespace Unikernel.Loaders.Bios;

/// <summary>COM1's 16550 registers: the loader's failure messages go there, since QEMU -nographic shows only serial.</summary>
internal static class SerialPort
{
    public const ushort Data = 0x3F8;            // with DLAB set: divisor, low byte
    public const ushort InterruptEnable = 0x3F9; // with DLAB set: divisor, high byte
    public const ushort LineControl = 0x3FB;
    public const ushort LineStatus = 0x3FD;
    public const byte TransmitterEmpty = 0x20;   // line status: the holding register takes a byte
}
