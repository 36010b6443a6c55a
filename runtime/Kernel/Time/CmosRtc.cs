using Kernel.Arch;

namespace Kernel.Time
{
    // The CMOS real-time clock (index port 0x70, data port 0x71): the wall-clock time once at boot, to the
    // second. QEMU's pc machine has it; microvm only with rtc=on (tools/Uk/Qemu/QemuCommand.cs); Firecracker
    // has none. Needs the TSC calibrated (Clock), which bounds the waits.
    internal static class CmosRtc
    {
        private const ushort IndexPort = 0x70, DataPort = 0x71;
        private const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfMonth = 0x07, Month = 0x08, Year = 0x09;
        private const byte StatusA = 0x0A, StatusB = 0x0B, StatusD = 0x0D, Century = 0x32;
        private const byte UpdateInProgress = 0x80;   // status A: the time registers are about to change
        private const byte ValidRamAndTime = 0x80;    // status D: battery fine (a missing device reads 0xFF)
        // The update cycle holds UIP for at most 244 us + 1984 us; 10 ms means the device is broken.
        private const ulong UpdateTimeoutNanoseconds = 10_000_000;

        /// <summary>The RTC's time as Unix seconds; false when there is no RTC (its ports read 0xFF) or it
        /// holds no valid date.</summary>
        public static bool TryRead(out long unixSeconds)
        {
            unixSeconds = 0;
            byte statusD = Read(StatusD);
            if (statusD == 0xFF || (statusD & ValidRamAndTime) == 0) return false;
            // Two reads outside an update cycle that agree: no field was caught mid-change.
            RtcRegisters previous = default;
            for (int attempt = 0; attempt < 5; attempt++)
            {
                if (!WaitUntilNotUpdating()) return false;
                RtcRegisters current = ReadRegisters();
                if (attempt > 0 && current.SameTimeAs(previous)) return RtcTime.TryToUnixSeconds(current, out unixSeconds);
                previous = current;
            }
            return false;
        }

        private static bool WaitUntilNotUpdating()
        {
            ulong start = Clock.MonotonicNanoseconds;
            while ((Read(StatusA) & UpdateInProgress) != 0)
                if (Clock.MonotonicNanoseconds - start > UpdateTimeoutNanoseconds) return false;
            return true;
        }

        private static RtcRegisters ReadRegisters()
        {
            var r = new RtcRegisters();
            r.Seconds = Read(Seconds);
            r.Minutes = Read(Minutes);
            r.Hours = Read(Hours);
            r.DayOfMonth = Read(DayOfMonth);
            r.Month = Read(Month);
            r.Year = Read(Year);
            r.Century = Read(Century);
            r.StatusB = Read(StatusB);
            return r;
        }

        // Bit 7 of the index is the NMI-disable bit; it stays clear (NMIs enabled), as Linux does.
        private static byte Read(byte register)
        {
            Cpu.OutByte(IndexPort, register);
            return Cpu.InByte(DataPort);
        }
    }
}
