using Kernel.Arch;

namespace Kernel.Console
{
    // The 16550 UART at COM1: the console of every VMM we target (QEMU microvm and pc, Firecracker,
    // Cloud Hypervisor). Polled output; the kernel never waits for input yet. Under a VMM every port access
    // is a trap, so the line status is read once per FIFO: once it says the transmitter is empty, the FIFO
    // takes FifoDepth bytes without another look (one status read per 16 bytes, not per byte), single bytes
    // (the kernel's messages, written a character at a time) as well as blocks.
    internal static unsafe class SerialPort
    {
        private const int FifoDepth = 16;   // the 16550A's transmit FIFO, enabled in Initialize
        private const ushort Com1 = 0x3F8;
        private const ushort Data = 0, InterruptEnable = 1, FifoControl = 2, LineControl = 3, ModemControl = 4, LineStatus = 5;
        private const byte TransmitHoldingEmpty = 0x20;
        // Bytes the FIFO takes before the line status must be read again: written since it was last seen empty.
        private static int s_room;

        public static void Initialize()
        {
            Cpu.OutByte(Com1 + InterruptEnable, 0x00);
            Cpu.OutByte(Com1 + LineControl, 0x80);   // divisor latch access
            Cpu.OutByte(Com1 + Data, 0x01);          // 115200 baud
            Cpu.OutByte(Com1 + InterruptEnable, 0x00);
            Cpu.OutByte(Com1 + LineControl, 0x03);   // 8N1
            Cpu.OutByte(Com1 + FifoControl, 0xC7);   // FIFO on, cleared, 14-byte threshold
            Cpu.OutByte(Com1 + ModemControl, 0x03);  // DTR, RTS
        }

        public static void Write(byte value)
        {
            if (s_room == 0) WaitUntilEmpty();
            s_room--;
            Cpu.OutByte(Com1 + Data, value);
        }

        public static void Write(byte* data, long count)
        {
            for (long done = 0; done < count;)
            {
                if (s_room == 0) WaitUntilEmpty();
                long end = count - done > s_room ? done + s_room : count;
                s_room -= (int)(end - done);
                for (; done < end; done++) Cpu.OutByte(Com1 + Data, data[done]);
            }
        }

        // With the FIFO on, "holding register empty" means the whole FIFO is. A VMM's UART drains instantly; on
        // real hardware this bounds the wait instead of hanging.
        private static void WaitUntilEmpty()
        {
            for (int spin = 0; spin < 100000 && (Cpu.InByte(Com1 + LineStatus) & TransmitHoldingEmpty) == 0; spin++)
                Cpu.Pause();
            s_room = FifoDepth;
        }
    }
}
