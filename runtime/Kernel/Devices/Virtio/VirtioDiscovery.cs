using Kernel.Boot;
using Kernel.Devices.Pci;

namespace Kernel.Devices.Virtio
{
    // Finds virtio devices, the way the machine describes them:
    // - `virtio_mmio.device=<size>@<base>:<irq>` words on the kernel command line (Linux's syntax, which
    //   Firecracker writes, and QEMU microvm too when ACPI is off: hw/i386/microvm.c,
    //   microvm_fix_kernel_cmdline);
    // - QEMU microvm with ACPI (its default) lists its transports only in the DSDT, at fixed places:
    //   512-byte windows from 0xFEB00000, 24 of them on GSIs 24.. (the second IOAPIC) -- probing those
    //   windows for the "virt" magic is cheaper than an AML interpreter;
    // - on a PCI machine (QEMU pc, q35), functions with vendor 0x1AF4 on any bus (PciEnumeration; modern interface).
    internal static unsafe class VirtioDiscovery
    {
        public const ulong MicrovmMmioBase = 0xFEB0_0000;
        public const int MicrovmMmioWindows = 24;
        public const int MicrovmFirstInterrupt = 24;   // with ACPI: virtio_irq_base = IO_APIC_SECONDARY_IRQBASE

        /// <summary>Why the last device that looked like one could not be used (legacy, BAR placement), or null.</summary>
        public static string Problem;

        /// <summary>The first virtio device of <paramref name="deviceType"/>, or null.</summary>
        public static VirtioTransport Find(uint deviceType) => Find(deviceType, 0);

        /// <summary>The virtio device of <paramref name="deviceType"/> after <paramref name="skip"/> others of that type (disks come in numbers), or null.</summary>
        public static VirtioTransport Find(uint deviceType, int skip)
        {
            VirtioTransport found = FromCommandLine(deviceType, ref skip);
            if (found != null) return found;
            if (PciConfigSpace.Present) return OnPciBus(deviceType, ref skip);
            return InMicrovmWindows(deviceType, ref skip);
        }

        // Each source counts skip down over the devices of the type it holds and returns the one at zero.
        private static VirtioTransport FromCommandLine(uint deviceType, ref int skip)
        {
            const string Prefix = "virtio_mmio.device=";
            for (int i = 0; i < BootCommandLine.Count; i++)
            {
                CommandLineToken* t = &BootCommandLine.Tokens[i];
                byte* text = BootCommandLine.Text + t->Start;
                if (!StartsWith(text, t->Length, Prefix)) continue;
                ulong baseAddress, interrupt;
                if (!ParseDevice(text + Prefix.Length, t->Length - Prefix.Length, out baseAddress, out interrupt)) continue;
                if (baseAddress >= Memory.MemoryLayout.DirectMapSize) continue;
                bool legacy;
                var transport = VirtioMmioTransport.Probe(baseAddress, (int)interrupt, out legacy);
                if (legacy) Problem = "virtio-mmio device is legacy (version 1): start QEMU with -global virtio-mmio.force-legacy=false";
                if (transport != null && transport.DeviceType == deviceType && skip-- == 0) return transport;
            }
            return null;
        }

        private static VirtioTransport InMicrovmWindows(uint deviceType, ref int skip)
        {
            for (int i = 0; i < MicrovmMmioWindows; i++)
            {
                bool legacy;
                var transport = VirtioMmioTransport.Probe(MicrovmMmioBase + (ulong)(i * VirtioMmioTransport.WindowSize), MicrovmFirstInterrupt + i, out legacy);
                if (legacy) Problem = "virtio-mmio device is legacy (version 1): start QEMU with -global virtio-mmio.force-legacy=false";
                if (transport != null && transport.DeviceType == deviceType && skip-- == 0) return transport;
            }
            return null;
        }

        private static VirtioTransport OnPciBus(uint deviceType, ref int skip)
        {
            for (int i = 0; i < PciEnumeration.Count; i++)
            {
                PciFunction f = PciEnumeration.Get(i);
                if (f.Vendor != VirtioPciTransport.VirtioVendor) continue;
                string problem;
                var transport = VirtioPciTransport.Probe(f.Bus, f.Slot, f.Function, out problem);
                if (problem != null) Problem = problem;
                if (transport != null && transport.DeviceType == deviceType && skip-- == 0) return transport;
            }
            return null;
        }

        // "512@0xfeb00e00:12" or "4K@0xd0000000:5" -> base, irq.
        private static bool ParseDevice(byte* text, int length, out ulong baseAddress, out ulong interrupt)
        {
            baseAddress = 0;
            interrupt = 0;
            int at = 0;
            while (at < length && text[at] != '@') at++;
            if (at >= length) return false;
            int i = at + 1;
            if (i + 1 < length && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X')) i += 2;
            int digits = 0;
            for (; i < length && text[i] != ':'; i++, digits++)
            {
                int d = HexDigit(text[i]);
                if (d < 0) return false;
                baseAddress = baseAddress * 16 + (ulong)d;
            }
            if (digits == 0 || i >= length) return false;
            for (i++; i < length; i++)
            {
                if (text[i] < '0' || text[i] > '9') return false;
                interrupt = interrupt * 10 + (ulong)(text[i] - '0');
            }
            return true;
        }

        private static int HexDigit(byte c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static bool StartsWith(byte* text, int length, string prefix)
        {
            if (length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (text[i] != prefix[i]) return false;
            return true;
        }
    }
}
