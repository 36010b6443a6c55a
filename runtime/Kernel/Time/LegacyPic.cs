using Kernel.Arch;

namespace Kernel.Time
{
    // The two cascaded 8259 PICs: QEMU's pc and microvm have them (SeaBIOS leaves them at vectors 8-15
    // on pc, where they would alias CPU exceptions), and in virtual-wire mode they reach the CPU through
    // the local APIC's LINT0. The kernel uses the local APIC only, so they are re-initialised to vectors
    // InterruptVectors.LegacyPicBase.. and every line is masked. Where there is no PIC the writes go nowhere.
    internal static class LegacyPic
    {
        private const ushort MasterCommand = 0x20, MasterData = 0x21, SlaveCommand = 0xA0, SlaveData = 0xA1;
        private const byte Icw1Initialize = 0x10, Icw1ExpectIcw4 = 0x01;
        private const byte Icw3SlaveOnIrq2 = 0x04, Icw3SlaveIdentity = 0x02;
        private const byte Icw4Mode8086 = 0x01;
        private const byte MaskAll = 0xFF;

        public static void MaskAllLines()
        {
            Cpu.OutByte(MasterCommand, Icw1Initialize | Icw1ExpectIcw4);
            Cpu.OutByte(SlaveCommand, Icw1Initialize | Icw1ExpectIcw4);
            Cpu.OutByte(MasterData, InterruptVectors.LegacyPicBase);
            Cpu.OutByte(SlaveData, InterruptVectors.LegacyPicBase + 8);
            Cpu.OutByte(MasterData, Icw3SlaveOnIrq2);
            Cpu.OutByte(SlaveData, Icw3SlaveIdentity);
            Cpu.OutByte(MasterData, Icw4Mode8086);
            Cpu.OutByte(SlaveData, Icw4Mode8086);
            Cpu.OutByte(MasterData, MaskAll);
            Cpu.OutByte(SlaveData, MaskAll);
        }
    }
}
