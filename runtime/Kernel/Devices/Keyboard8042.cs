using Kernel.Arch;
using Kernel.Console;

namespace Kernel.Devices
{
    // The i8042 keyboard controller, listened to for one thing: Ctrl+Alt+Delete, which is how Firecracker asks a guest
    // to stop (SendCtrlAltDel: it has no ACPI power button) -- a shutdown request (Process/ShutdownRequests), as
    // ctrl-alt-del.target is on a Linux guest. The controller's configuration byte is rewritten so that the keyboard's
    // interrupt (IRQ 1, edge) is on and translation to scan code set 1 is off: both Firecracker (which never
    // translates) and QEMU's PS/2 keyboard (set 2 unless translated) then speak set 2 (CtrlAltDelete). A machine
    // without an i8042 (microvm) reads 0xFF from the status port and is left alone.
    internal static unsafe class Keyboard8042
    {
        private const ushort Data = 0x60, StatusCommand = 0x64;
        private const byte OutputFull = 1, InputFull = 2, FromAuxiliary = 0x20;
        private const byte ReadConfiguration = 0x20, WriteConfiguration = 0x60;
        private const byte KeyboardInterrupt = 1, AuxiliaryInterrupt = 2, KeyboardClockOff = 0x10, Translate = 0x40;
        private const int KeyboardIrq = 1, MaxBytesPerInterrupt = 16, PollLimit = 100_000;

        private static CtrlAltDelete s_keys;

        /// <summary>Listens to the keyboard when there is an i8042; reports "uk: i8042: ..." when there is one.</summary>
        public static void Start()
        {
            if (Cpu.InByte(StatusCommand) == 0xFF) return;
            Drain();
            if (!WaitToWrite()) return;
            Cpu.OutByte(StatusCommand, ReadConfiguration);
            if (!WaitToRead()) return;
            byte configuration = Cpu.InByte(Data);
            configuration = (byte)((configuration | KeyboardInterrupt) & ~(Translate | AuxiliaryInterrupt | KeyboardClockOff));
            if (!WaitToWrite()) return;
            Cpu.OutByte(StatusCommand, WriteConfiguration);
            if (!WaitToWrite()) return;
            Cpu.OutByte(Data, configuration);
            Drain();
            InterruptHandlers.Register(InterruptVectors.Keyboard, &OnInterrupt);
            int gsi = IoApic.RouteIsaInterrupt(KeyboardIrq, InterruptVectors.Keyboard, false, false, Time.LocalApic.Id);
            if (gsi < 0) return;
            Threads.Scheduler.WakeSources++;
            KernelConsole.Prefix();
            KernelConsole.Write("i8042: Ctrl-Alt-Del is a shutdown request (keyboard IRQ 1 on GSI ");
            KernelConsole.WriteDecimal((ulong)gsi);
            KernelConsole.WriteLine(")");
        }

        private static InterruptFrame* OnInterrupt(InterruptFrame* frame)
        {
            bool request = false;
            for (int i = 0; i < MaxBytesPerInterrupt; i++)
            {
                byte status = Cpu.InByte(StatusCommand);
                if ((status & OutputFull) == 0) break;
                byte code = Cpu.InByte(Data);
                if ((status & FromAuxiliary) == 0 && s_keys.Feed(code)) request = true;
            }
            Time.LocalApic.EndOfInterrupt();
            if (request) Process.ShutdownRequests.Request("Ctrl-Alt-Del on the i8042 keyboard");
            return null;
        }

        private static void Drain()
        {
            for (int i = 0; i < MaxBytesPerInterrupt && (Cpu.InByte(StatusCommand) & OutputFull) != 0; i++) Cpu.InByte(Data);
        }

        private static bool WaitToWrite()
        {
            for (int i = 0; i < PollLimit; i++) if ((Cpu.InByte(StatusCommand) & InputFull) == 0) return true;
            return false;
        }

        private static bool WaitToRead()
        {
            for (int i = 0; i < PollLimit; i++) if ((Cpu.InByte(StatusCommand) & OutputFull) != 0) return true;
            return false;
        }
    }
}
