using Kernel.Arch;

namespace Kernel.Time
{
    // The i8254 programmable interval timer, channel 0 only: the reference the TSC is measured against when
    // CPUID does not tell its frequency. Channel 0 is what every PC-compatible VMM emulates (QEMU pc and
    // microvm, Firecracker's in-kernel PIT) and it counts without a gate; channel 2 would need port 0x61
    // (the speaker/gate port), which QEMU's microvm does not have. Its output drives IRQ 0, which stays
    // masked (LegacyPic, and the I/O APIC's reset state): the kernel only reads the counter.
    internal static class Pit
    {
        /// <summary>The PIT's input clock: 105/88 MHz.</summary>
        public const ulong FrequencyHz = 1193182;

        private const ushort Channel0Data = 0x40, ModeCommand = 0x43;
        private const byte SelectChannel0 = 0x00, AccessLowThenHigh = 0x30, Mode0InterruptOnTerminalCount = 0x00;
        private const byte LatchChannel0 = 0x00;

        /// <summary>Channel 0 counts down from <paramref name="count"/> at 1.193182 MHz (mode 0: once, then
        /// it wraps and keeps counting, raising IRQ 0 only at the first terminal count).</summary>
        public static void StartCountdown(ushort count)
        {
            Cpu.OutByte(ModeCommand, SelectChannel0 | AccessLowThenHigh | Mode0InterruptOnTerminalCount);
            Cpu.OutByte(Channel0Data, (byte)count);
            Cpu.OutByte(Channel0Data, (byte)(count >> 8));
        }

        /// <summary>Channel 0's counter, latched so both bytes belong to the same instant.</summary>
        public static ushort ReadCount()
        {
            Cpu.OutByte(ModeCommand, SelectChannel0 | LatchChannel0);
            byte low = Cpu.InByte(Channel0Data);
            byte high = Cpu.InByte(Channel0Data);
            return (ushort)(low | high << 8);
        }
    }
}
