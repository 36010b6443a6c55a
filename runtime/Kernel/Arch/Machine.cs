using Kernel.Console;

namespace Kernel.Arch
{
    // Powering off with an exit status. QEMU's isa-debug-exit device (port 0xf4) turns a written byte N
    // into QEMU's own exit status 2N+1 -- the only way a guest can hand a status to the host there, so
    // `uk run` and the tests map it back. Without that device (libvirt, clouds, Firecracker, Cloud Hypervisor,
    // a plain QEMU command line) the status is only printed, then ACPI soft-off (S5) where the tables describe
    // it (a VMM without -no-reboot would restart the machine on a reset), then the i8042 reset line
    // (Firecracker treats it as shutdown; QEMU with -no-reboot exits), then the ACPI reset register where the
    // FADT names one (machines without an i8042, such as microvm), and a triple fault is the last resort.
    internal static unsafe class Machine
    {
        /// <summary>sysexits' EX_SOFTWARE: a kernel panic, CPU exception or failed assertion.</summary>
        public const int PanicExitStatus = 70;

        private const ushort DebugExitPort = 0xF4;
        private const ushort KeyboardControllerCommand = 0x64;
        private const byte KeyboardControllerPulseReset = 0xFE;

        /// <summary>Called once before the exit status is printed (the app's timing line).</summary>
        public static delegate*<void> BeforeExit;
        /// <summary>Resets the machine the firmware's way (Devices/Acpi: the FADT's reset register), or null.</summary>
        public static delegate*<void> FirmwareReset;
        /// <summary>Powers off the ACPI way (Devices/Acpi/AcpiEvents: S5), or null.</summary>
        public static delegate*<void> FirmwarePowerOff;

        public static void Exit(int status)
        {
            Cpu.DisableInterrupts();
            var beforeExit = BeforeExit;
            BeforeExit = null;
            if (beforeExit != null) beforeExit();
            Net.NetCounters.Report();
            KernelConsole.Prefix();
            KernelConsole.Write("exit status ");
            KernelConsole.WriteDecimal((ulong)(uint)status);
            KernelConsole.WriteLine();
            Cpu.OutByte(DebugExitPort, (byte)status);
            if (FirmwarePowerOff != null) FirmwarePowerOff();
            Cpu.OutByte(KeyboardControllerCommand, KeyboardControllerPulseReset);
            if (FirmwareReset != null) FirmwareReset();
            TripleFault();
        }

        private static void TripleFault()
        {
            // An empty IDT turns the next exception into a triple fault, which every VMM treats as a reset.
            ulong* emptyIdtDescriptor = stackalloc ulong[2];
            emptyIdtDescriptor[0] = 0; emptyIdtDescriptor[1] = 0;
            Cpu.LoadInterruptDescriptorTable(emptyIdtDescriptor);
            Cpu.TriggerInvalidOpcode();
            Cpu.HaltForever();
        }
    }
}
