using Kernel.Arch;

namespace Kernel.Boot
{
    // QEMU's firmware configuration device (fw_cfg, QEMU's docs/specs/fw_cfg.rst), how `-fw_cfg name=opt/...,file=...`
    // hands a guest a named blob. pc, q35 and microvm all put its I/O-port interface at the same place: a 16-bit
    // selector register at 0x510 and a data register at 0x511 that reads the selected item one byte at a time
    // (microvm creates it with fw_cfg_init_io_dma at the x86 base, as pc does). The traditional interface is enough
    // for the few KiB the kernel reads once at boot; the DMA interface would save exits, not correctness.
    //
    // Detection: item 0 (signature) reads "QEMU". Without the device an ISA port read returns 0xFF, so any other VMM
    // (Firecracker, Cloud Hypervisor) simply has none. Items: 0x19 is the file directory, a big-endian u32 count and
    // then 64-byte records { be32 size, be16 select, u16 reserved, char name[56] }.
    internal static unsafe class FirmwareConfig
    {
        private const ushort SelectorPort = 0x510, DataPort = 0x511;
        private const ushort SignatureItem = 0x0000, FileDirectoryItem = 0x0019;
        private const int FileNameBytes = 56;

        public static bool IsPresent()
        {
            Cpu.OutWord(SelectorPort, SignatureItem);
            return Cpu.InByte(DataPort) == 'Q' && Cpu.InByte(DataPort) == 'E' && Cpu.InByte(DataPort) == 'M' && Cpu.InByte(DataPort) == 'U';
        }

        /// <summary>The selector of the file named <paramref name="name"/> (ASCII), with its size; false when there is none.</summary>
        public static bool FindFile(string name, out ushort selector, out uint size)
        {
            selector = 0;
            size = 0;
            if (name.Length >= FileNameBytes || !IsPresent()) return false;
            Cpu.OutWord(SelectorPort, FileDirectoryItem);
            uint count = ReadBigEndian32();
            bool found = false;
            for (uint i = 0; i < count; i++)
            {
                // Every record is read whole: the data register only moves forward.
                uint entrySize = ReadBigEndian32();
                ushort entrySelector = (ushort)(Cpu.InByte(DataPort) << 8 | Cpu.InByte(DataPort));
                Cpu.InByte(DataPort);
                Cpu.InByte(DataPort);
                bool same = !found;
                for (int k = 0; k < FileNameBytes; k++)
                {
                    byte c = Cpu.InByte(DataPort);
                    byte expected = k < name.Length ? (byte)name[k] : (byte)0;
                    if (k <= name.Length && c != expected) same = false;
                }
                if (same) { found = true; selector = entrySelector; size = entrySize; }
            }
            return found;
        }

        /// <summary>Reads the first <paramref name="length"/> bytes of item <paramref name="selector"/>.</summary>
        public static void Read(ushort selector, byte* buffer, int length)
        {
            Cpu.OutWord(SelectorPort, selector);
            for (int i = 0; i < length; i++) buffer[i] = Cpu.InByte(DataPort);
        }

        private static uint ReadBigEndian32()
        {
            uint value = 0;
            for (int i = 0; i < 4; i++) value = value << 8 | Cpu.InByte(DataPort);
            return value;
        }
    }
}
