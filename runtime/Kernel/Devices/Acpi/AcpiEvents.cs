using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Devices.Acpi
{
    // The ACPI power button becomes a shutdown request (Process/ShutdownRequests), and soft-off (S5) is how the
    // kernel powers the machine off where no isa-debug-exit device takes its status (libvirt's and clouds' pc/q35).
    //
    // Fixed hardware (pc's PIIX4, q35's ICH9): the OS takes ACPI mode by writing the FADT's ACPI_ENABLE value to its
    // SMI command port (4.8.2.1; QEMU: 0xf1 to 0xb2 on pc, 0x02 on q35) and waits for SCI_EN in PM1 control; then the
    // power button's enable bit (PWRBTN_EN, bit 8 of the PM1 enable register, the second half of the PM1 event
    // block) lets a press raise the SCI, whose status bit (PWRBTN_STS, bit 8) is cleared by writing 1. The SCI is the
    // FADT's SCI_INT, an ISA line (9 on QEMU) that the MADT overrides to level-triggered. Soft-off is SLP_TYPa from
    // \_S5 (QEMU: 0) with SLP_EN (bit 13) in PM1 control (4.8.3.2.1).
    //
    // Hardware-reduced (microvm): no PM1 blocks; the power button is an event of the Generic Event Device, whose
    // event selector (read: the pending events, cleared by the read) and interrupt come from the DSDT (DsdtFacts;
    // QEMU: 0xfea00000, bit 1 = power down, GSI 9 edge), and soft-off is a byte, SLP_TYP << 2 | SLP_EN (bit 5), in
    // the FADT's sleep control register (QEMU: 0xfea00200, 0x34 for S5).
    internal static unsafe class AcpiEvents
    {
        private const ushort SciEnable = 1, SleepEnable = 1 << 13, SleepTypeShift = 10, SleepTypeMask = 7 << 10;
        private const ushort PowerButton = 1 << 8;
        private const byte ReducedSleepEnable = 1 << 5;
        private const uint GedPowerDownEvent = 1 << 1;
        private const int HardwareReducedSoftOff = 5;   // QEMU's GED accepts only this type (ACPI_GED_SLP_TYP_S5)

        private static Fadt s_fadt;
        private static int s_sleepType = -1;
        private static ushort s_pm1aStatus, s_pm1aEnable;
        private static ulong s_gedSelector;

        /// <summary>Soft-off becomes Machine's way to power off where the FADT and DSDT describe it (after DeviceStartup's table scan).</summary>
        public static void UseTables(AcpiTables tables)
        {
            if (tables == null || tables.Fadt == null) return;
            s_fadt = tables.Fadt;
            s_sleepType = tables.HasDsdt ? tables.Dsdt.SoftOffSleepType : -1;
            if (s_fadt.HardwareReduced && s_fadt.SleepControl.IsPresent && s_sleepType < 0) s_sleepType = HardwareReducedSoftOff;
            bool canSleep = s_fadt.HardwareReduced ? s_fadt.SleepControl.IsPresent : IsIoPort(s_fadt.Pm1aControl);
            if (canSleep && s_sleepType >= 0) Machine.FirmwarePowerOff = &SoftOff;
        }

        /// <summary>
        /// Lets the power button interrupt (vector InterruptVectors.AcpiEvent); reports one "uk: acpi: power button ..." line.
        /// </summary>
        public static void StartPowerButton()
        {
            AcpiTables tables = AcpiStartup.Tables;
            if (s_fadt == null) return;   // no ACPI: nothing to listen to (Firecracker's way is the i8042)
            KernelConsole.Prefix();
            KernelConsole.Write("acpi: power button: ");
            if (s_fadt.HardwareReduced) StartGed(tables);
            else StartFixed();
            KernelConsole.Write(", soft-off ");
            if (Machine.FirmwarePowerOff != null)
            {
                KernelConsole.Write("type ");
                KernelConsole.WriteDecimal((ulong)s_sleepType);
            }
            else KernelConsole.Write("unknown (no \\_S5 found in the DSDT)");
            KernelConsole.WriteLine();
        }

        private static void StartFixed()
        {
            if (!IsIoPort(s_fadt.Pm1aEvent) || !IsIoPort(s_fadt.Pm1aControl) || s_fadt.Pm1aEvent.BitWidth < 32)
            {
                KernelConsole.Write("none (no PM1a event and control blocks in I/O space)");
                return;
            }
            s_pm1aStatus = (ushort)s_fadt.Pm1aEvent.Address;
            s_pm1aEnable = (ushort)(s_pm1aStatus + s_fadt.Pm1aEvent.BitWidth / 16);
            ushort control = (ushort)s_fadt.Pm1aControl.Address;
            if ((Cpu.InWord(control) & SciEnable) == 0 && s_fadt.SmiCommandPort != 0 && s_fadt.SmiCommandPort <= 0xFFFF)
            {
                Cpu.OutByte((ushort)s_fadt.SmiCommandPort, s_fadt.AcpiEnableValue);
                ulong deadline = Time.Clock.MonotonicNanoseconds + 1_000_000_000UL;
                while ((Cpu.InWord(control) & SciEnable) == 0 && Time.Clock.MonotonicNanoseconds < deadline) Cpu.Pause();
            }
            if ((Cpu.InWord(control) & SciEnable) == 0)
            {
                KernelConsole.Write("none (the machine did not enter ACPI mode: SCI_EN stayed 0)");
                return;
            }
            Cpu.OutWord(s_pm1aStatus, PowerButton);
            Cpu.OutWord(s_pm1aEnable, (ushort)(Cpu.InWord(s_pm1aEnable) | PowerButton));
            InterruptHandlers.Register(InterruptVectors.AcpiEvent, &OnSystemControlInterrupt);
            // The SCI is shareable, level-triggered and active low unless the MADT overrides it (5.2.9, SCI_INT).
            int gsi = IoApic.RouteIsaInterrupt(s_fadt.SciInterrupt, InterruptVectors.AcpiEvent, true, true, Time.LocalApic.Id);
            if (gsi < 0)
            {
                KernelConsole.Write("none (no I/O APIC line for SCI ");
                KernelConsole.WriteDecimal(s_fadt.SciInterrupt);
                KernelConsole.Write(")");
                return;
            }
            Threads.Scheduler.WakeSources++;
            KernelConsole.Write("PM1a status io ");
            KernelConsole.WriteHex(s_pm1aStatus);
            KernelConsole.Write(", SCI ");
            KernelConsole.WriteDecimal(s_fadt.SciInterrupt);
            KernelConsole.Write(" on GSI ");
            KernelConsole.WriteDecimal((ulong)gsi);
        }

        private static void StartGed(AcpiTables tables)
        {
            if (!tables.HasDsdt || tables.Dsdt.GedEventSelector == 0 || !tables.Dsdt.GedInterruptFound)
            {
                KernelConsole.Write("none (no Generic Event Device with an event register and an interrupt in the DSDT)");
                return;
            }
            if (!DeviceMemory.Map(tables.Dsdt.GedEventSelector, 4))
            {
                KernelConsole.Write("none (the GED's event register cannot be mapped)");
                return;
            }
            s_gedSelector = tables.Dsdt.GedEventSelector;
            InterruptHandlers.Register(InterruptVectors.AcpiEvent, &OnGenericEvent);
            if (!IoApic.Route((int)tables.Dsdt.GedInterrupt, InterruptVectors.AcpiEvent, !tables.Dsdt.GedEdgeTriggered, tables.Dsdt.GedActiveLow, Time.LocalApic.Id))
            {
                KernelConsole.Write("none (no I/O APIC line for GSI ");
                KernelConsole.WriteDecimal(tables.Dsdt.GedInterrupt);
                KernelConsole.Write(")");
                return;
            }
            Threads.Scheduler.WakeSources++;
            KernelConsole.Write("Generic Event Device ");
            KernelConsole.WriteHex(s_gedSelector);
            KernelConsole.Write(" on GSI ");
            KernelConsole.WriteDecimal(tables.Dsdt.GedInterrupt);
            KernelConsole.Write(tables.Dsdt.GedEdgeTriggered ? " edge" : " level");
        }

        // Level-triggered: the status is cleared before the EOI, or the line would fire again at once.
        private static InterruptFrame* OnSystemControlInterrupt(InterruptFrame* frame)
        {
            bool pressed = (Cpu.InWord(s_pm1aStatus) & PowerButton) != 0;
            if (pressed) Cpu.OutWord(s_pm1aStatus, PowerButton);
            Time.LocalApic.EndOfInterrupt();
            if (pressed) Process.ShutdownRequests.Request("the ACPI power button");
            return null;
        }

        private static InterruptFrame* OnGenericEvent(InterruptFrame* frame)
        {
            uint events = Mmio.Read32(s_gedSelector);
            Time.LocalApic.EndOfInterrupt();
            if ((events & GedPowerDownEvent) != 0) Process.ShutdownRequests.Request("the ACPI power button");
            return null;
        }

        // A VMM powers off asynchronously: QEMU queues the request and lets the vCPU run on, and a reset requested
        // meanwhile (Machine's next fallback) replaces it -- under -no-reboot QEMU then reports a reset, and without it
        // the machine restarts. So the CPU waits here (about a second at 1 GHz) before Machine tries anything else.
        private const ulong PowerOffWaitTicks = 1_000_000_000;

        private static void SoftOff()
        {
            if (s_fadt.HardwareReduced)
            {
                byte value = (byte)(((s_sleepType & 7) << 2) | ReducedSleepEnable);
                GenericAddress control = s_fadt.SleepControl;
                if (control.Space == GenericAddress.SystemIo && control.Address <= 0xFFFF) Cpu.OutByte((ushort)control.Address, value);
                else if (control.Space == GenericAddress.SystemMemory && DeviceMemory.Map(control.Address, 1)) Mmio.Write8(control.Address, value);
            }
            else
            {
                ushort type = (ushort)((s_sleepType & 7) << SleepTypeShift);
                ushort a = (ushort)s_fadt.Pm1aControl.Address;
                Cpu.OutWord(a, (ushort)((Cpu.InWord(a) & ~SleepTypeMask) | type | SleepEnable));
                if (IsIoPort(s_fadt.Pm1bControl))
                {
                    ushort b = (ushort)s_fadt.Pm1bControl.Address;
                    Cpu.OutWord(b, (ushort)((Cpu.InWord(b) & ~SleepTypeMask) | type | SleepEnable));
                }
            }
            ulong start = Cpu.ReadTimeStampCounter();
            while (Cpu.ReadTimeStampCounter() - start < PowerOffWaitTicks) Cpu.Pause();
        }

        private static bool IsIoPort(GenericAddress register)
            => register.IsPresent && register.Space == GenericAddress.SystemIo && register.Address <= 0xFFFF;
    }
}
