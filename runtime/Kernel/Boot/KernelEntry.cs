using System.Runtime.InteropServices;
using Internal.Runtime.CompilerHelpers;
using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Memory;

namespace Kernel.Boot
{
    // The boot stub calls uk_kernel_main once, on the boot stack, with interrupts off and the CPU in
    // long mode (docs/boot-abi.md). Order matters: console first (so every later failure can be
    // reported), then a copy of the loader's data (and `uk run`'s console tag from it, so every kernel line
    // carries it), then memory (so `new` works), then ILC's module start-up (statics, cctors, module
    // initializers), then everything written in ordinary C#.
    internal static unsafe class KernelEntry
    {
        [UnmanagedCallersOnly(EntryPoint = "uk_kernel_main")]
        private static void Main(BootInfo* bootInfo)
        {
            ulong csharpEntryTsc = Cpu.ReadTimeStampCounter();
            PerCpu.InstallBootCpu();   // GS: every kernel entry from here on finds this CPU's block
            Threads.KernelLock.Initialize();
            SerialPort.Initialize();
            RuntimeHooks.FailFast = &Panic.Fail;

            if (bootInfo->Magic != BootInfo.ExpectedMagic) Panic.Fail("boot info has the wrong magic: boot stub and kernel do not match");
            // uk_ksyms through the direct map: with an app it lies after the app's segments, in what becomes the app's
            // window, where KernelAddressSpace maps nothing of the kernel.
            InitializeStackTrace(bootInfo);

            string problem = LoaderData.Capture(bootInfo->PvhStartInfo);
            if (problem != null) Panic.Fail(problem);
            BootCommandLine.TakeConsoleTag(LoaderData.CommandLine, LoaderData.CommandLineLength);

            // A compressed image's app and tables, expanded into place before anything reads them (ImagePayload.cs).
            problem = ImagePayload.Expand(bootInfo, LoaderData.MemoryMap, LoaderData.MemoryMapEntries);
            if (problem != null) Panic.Fail(problem);
            if (bootInfo->PayloadStart != 0) InitializeStackTrace(bootInfo);   // uk_ksyms was in the payload: read it now

            problem = KernelMemory.Initialize(LoaderData.MemoryMap, LoaderData.MemoryMapEntries, bootInfo);
            if (problem != null) Panic.Fail(problem);
            RuntimeHooks.AllocateZeroed = &KernelMemory.AllocateZeroed;

            // The final page tables (the kernel out of the app's reach, W^X, the boot stack's guard page), then the
            // CPU's own protections (SMEP, SMAP, UMIP).
            StackGuard.SetBootStack(bootInfo->BootStackBottom);
            problem = KernelAddressSpace.Build(bootInfo);
            if (problem != null) Panic.Fail(problem);
            CpuProtection.Enable();

            problem = StartupCodeHelpers.InitializeModules((nint*)bootInfo->ModulesStart, (nint*)bootInfo->ModulesEnd);
            if (problem != null) Panic.Fail(problem);

            problem = BootCommandLine.Parse(LoaderData.CommandLine, LoaderData.CommandLineLength, LoaderData.CommandLineTruncated);
            if (problem != null) BootCommandLine.Reject(problem);
            Threads.LockChecks.Configure();

            // Time: TSC and local APIC timer calibrated, wall clock read (interrupts stay off); then
            // randomness, whose fallback generator is seeded from them.
            problem = Time.TimeStartup.Initialize(bootInfo->EntryTsc);
            if (problem != null) Panic.Fail(problem);
            PerCpu.InitializeThisCpu(0, Time.LocalApic.IsEnabled ? Time.LocalApic.Id : 0, PerCpu.BootTssAddress(), PerCpu.BootGdtAddress());
            Entropy.Random.Initialize();
            Logs.LogShipper.Configure(bootInfo);   // uk.log.*: from here on the console's lines are also kept for shipping

            ulong initDoneTsc = Cpu.ReadTimeStampCounter();
            BootReport.Write(bootInfo, csharpEntryTsc, initDoneTsc);
            Devices.DeviceStartup.Discover();   // ACPI tables, I/O APICs, PCI functions: "uk: acpi: ..." and "uk: pci: ..." lines
            ApplicationProcessors.Start(bootInfo, Devices.Acpi.AcpiStartup.Tables?.Madt);   // the other CPUs: "uk: smp: ..." line
            Devices.Virtio.VirtioNet.Probe();   // a network card, if the machine has one: "uk: net: ..." line
            Devices.Virtio.VirtioBlock.Probe(); // disks (read for a config drive): a "uk: disk: ..." line each

#if KERNEL_SELFTEST
            SelfTest.SelfTests.Run(bootInfo);
#endif
            if (Process.AppLoader.IsPresent(bootInfo)) Panic.Fail(Process.AppLoader.Start(bootInfo));
            BootReport.WriteTimer();
            Machine.Exit(BootCommandLine.NumberOption("uk.exit") & 0xFF);   // uk.exit=N: the status to power off with (the tests check the host sees it)
        }

        private static void InitializeStackTrace(BootInfo* bootInfo) =>
            StackTrace.Initialize((byte*)MemoryLayout.ToDirectMap(bootInfo->KsymsStart), bootInfo->KsymsEnd - bootInfo->KsymsStart,
                                  bootInfo->BootStackBottom, bootInfo->BootStackTop, bootInfo->TextStart, bootInfo->TextEnd);
    }
}
