using Kernel.Arch;
using Kernel.Console;
using Kernel.Diagnostics;
using Kernel.Entropy;
using Kernel.Memory;
using Kernel.Time;

namespace Kernel.Boot
{
    // What the kernel tells about itself once it is up: configuration received, memory found, the
    // runtime start-up contract checked, and what booting cost.
    internal static unsafe class BootReport
    {
        public static void Write(BootInfo* boot, ulong csharpEntryTsc, ulong initDoneTsc)
        {
            Line("Unikernel: C# kernel up (PVH boot, ILC-compiled)");
            ImageInfo.Report(boot);
            WriteCommandLine();
            WriteMemory(boot);
            WriteRuntimeChecks();
            WriteTimeAndRandomness();
            Logs.LogShipper.Report();

            KernelConsole.Prefix();
            KernelConsole.Write("kernel symbols: ");
            // An empty table: uk-ld wrote it beside the image (--symbols-file), where `uk run` names the addresses.
            if (StackTrace.SymbolCount == 0) KernelConsole.WriteLine("beside the image (fault reports show addresses)");
            else { KernelConsole.WriteDecimal(StackTrace.SymbolCount); KernelConsole.WriteLine(" functions"); }
            if (ImagePayload.Regions != 0)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("payload: ");
                KernelConsole.WriteDecimal(ImagePayload.CompressedBytes);
                KernelConsole.Write(" bytes (LZ4) expanded to ");
                KernelConsole.WriteDecimal(ImagePayload.ExpandedBytes);
                KernelConsole.Write(" in ");
                KernelConsole.WriteDecimal(ImagePayload.Regions);
                KernelConsole.Write(" regions, ");
                KernelConsole.WriteDecimal(ImagePayload.Ticks);
                KernelConsole.WriteLine(" tsc");
            }

            // Under `-icount shift=0` the TSC counts virtual nanoseconds = guest instructions from reset.
            KernelConsole.Prefix();
            KernelConsole.Write("boot cost: entry at tsc ");
            KernelConsole.WriteDecimal(boot->EntryTsc);
            KernelConsole.Write(", to C# entry ");
            KernelConsole.WriteDecimal(csharpEntryTsc - boot->EntryTsc);
            KernelConsole.Write(" tsc, to end of kernel init ");
            KernelConsole.WriteDecimal(initDoneTsc - boot->EntryTsc);
            KernelConsole.WriteLine(" tsc (virtual ns under -icount shift=0)");
            Line("ready");
        }

        /// <summary>
        /// The local APIC timer's rate, once known: where the platform does not state it, it is measured at its first
        /// use (LocalApic), so this line comes late -- from the scheduler's start, or before an image without an app
        /// powers off. A timer that does not count stops the boot, as every sleep and time slice depends on it.
        /// </summary>
        public static void WriteTimer()
        {
            ulong hz = LocalApic.TimerFrequency;
            if (hz == 0) Panic.Fail("the local APIC timer does not count");
            KernelConsole.Prefix();
            KernelConsole.Write("timer: local APIC ");
            WriteMegahertz(hz);
            KernelConsole.Write(" (bus clock / 16, ");
            if (LocalApic.TimerSource == ApicTimerSource.CpuidCrystal) KernelConsole.Write("CPUID 0x15 crystal");
            else if (LocalApic.TimerSource == ApicTimerSource.HypervisorLeaf) KernelConsole.Write("hypervisor CPUID 0x40000010");
            else
            {
                KernelConsole.Write("measured against the TSC over ");
                KernelConsole.WriteDecimal(Clock.TscTicksToNanoseconds(LocalApic.CalibrationWindowTicks) / 1000);
                KernelConsole.Write(" us, within ");
                KernelConsole.WriteDecimal(LocalApic.CalibrationErrorPpm);
                KernelConsole.Write(" ppm");
            }
            KernelConsole.WriteLine(")");
        }

        // The command line carries configuration, secrets included (a connection string's password): the report shows
        // kernel options (the kernel's own settings, the console secret already masked), environment names and how many
        // arguments there are, never an environment value or an argument, unless uk.report.values=1 asks for the
        // arguments and the values of names that do not look secret (EnvironmentBlock.LooksSecret).
        private static void WriteCommandLine()
        {
            bool values = BootCommandLine.OptionEquals(BootEnvironment.ReportValuesOption, "1");
            int arguments = 0;
            for (int i = 0; i < BootCommandLine.Count; i++)
                if (BootCommandLine.Tokens[i].Kind == CommandLineTokenKind.Argument) arguments++;
            KernelConsole.Prefix();
            KernelConsole.Write("command line: ");
            KernelConsole.WriteDecimal((ulong)BootCommandLine.RawLength);
            KernelConsole.Write(" bytes, ");
            KernelConsole.WriteDecimal((ulong)BootCommandLine.Count);
            KernelConsole.Write(" words, app arguments: ");
            KernelConsole.WriteDecimal((ulong)arguments);
            KernelConsole.WriteLine(values ? "" : " (arguments and environment values are shown only with uk.report.values=1)");
            for (int i = 0; i < BootCommandLine.Count; i++)
            {
                Boot.CommandLineToken* t = &BootCommandLine.Tokens[i];
                byte* text = BootCommandLine.Text + t->Start;
                if (t->Kind == CommandLineTokenKind.Argument && !values) continue;
                KernelConsole.Prefix();
                if (t->Kind == CommandLineTokenKind.Argument)
                {
                    KernelConsole.Write("  argument: ");
                    KernelConsole.WriteEscaped(text, t->Length);
                }
                else if (t->Kind == CommandLineTokenKind.KernelOption)
                {
                    KernelConsole.Write("  kernel option: ");
                    KernelConsole.WriteEscaped(text, t->Length);
                }
                else
                {
                    KernelConsole.Write("  environment: ");
                    bool show = values && !EnvironmentBlock.LooksSecret(text, t->NameLength);
                    KernelConsole.WriteEscaped(text, show ? t->Length : t->NameLength);
                }
                KernelConsole.WriteLine();
            }
        }

        private static void WriteMemory(BootInfo* boot)
        {
            Line("memory map (from the PVH loader):");
            PvhMemoryMapEntry* map = LoaderData.MemoryMap;
            for (int i = 0; i < LoaderData.MemoryMapEntries; i++)
            {
                if (map[i].Size == 0) continue;
                KernelConsole.Prefix();
                KernelConsole.Write("  ");
                KernelConsole.WriteHex(map[i].Address, 12);
                KernelConsole.Write("-");
                KernelConsole.WriteHex(map[i].Address + map[i].Size, 12);
                KernelConsole.Write(" ");
                KernelConsole.WriteLine(map[i].Type == PvhMemoryMapEntry.Ram ? "RAM" : map[i].Type == PvhMemoryMapEntry.AcpiReclaimable ? "ACPI" : map[i].Type == PvhMemoryMapEntry.AcpiNvs ? "ACPI NVS" : "reserved");
            }

            KernelConsole.Prefix();
            KernelConsole.Write("memory: ");
            KernelConsole.WriteSize(KernelMemory.RamBytes);
            KernelConsole.Write(" RAM; kernel image ");
            KernelConsole.WriteHex(boot->ImageStart);
            KernelConsole.Write("-");
            KernelConsole.WriteHex(boot->ImageEnd);
            KernelConsole.Write(" (");
            KernelConsole.WriteSize(boot->ImageEnd - boot->ImageStart);
            KernelConsole.Write("); page allocator: ");
            KernelConsole.WriteDecimal(KernelMemory.Pages->FreePageCount);
            KernelConsole.Write(" of ");
            KernelConsole.WriteDecimal(KernelMemory.Pages->TotalPages);
            KernelConsole.WriteLine(" pages free");

            // A heap allocation through `new`, then given back.
            ulong liveBefore = KernelMemory.Heap->LiveAllocations;
            byte[] buffer = new byte[1000];
            for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)i;
            int sum = 0;
            for (int i = 0; i < buffer.Length; i++) sum += buffer[i];
            ulong liveDuring = KernelMemory.Heap->LiveAllocations;
            KernelConsole.Prefix();
            KernelConsole.Write("heap: new byte[1000] at ");
            fixed (byte* p = buffer) KernelConsole.WriteHex((ulong)p);
            KernelConsole.Write(", checksum ");
            KernelConsole.WriteDecimal((ulong)sum);
            KernelConsole.Write(", live blocks ");
            KernelConsole.WriteDecimal(liveBefore);
            KernelConsole.Write(" -> ");
            KernelConsole.WriteDecimal(liveDuring);
            bool freed = KernelMemory.Free(buffer);
            KernelConsole.Write(" -> ");
            KernelConsole.WriteDecimal(KernelMemory.Heap->LiveAllocations);
            KernelConsole.WriteLine(freed ? " after free" : " (free FAILED)");
        }

        private static void WriteRuntimeChecks()
        {
            KernelConsole.Prefix();
            KernelConsole.Write("class constructor: CpuIdentity.Vendor = \"");
            KernelConsole.Write(CpuIdentity.Vendor);
            KernelConsole.Write("\", max CPUID leaf ");
            KernelConsole.WriteHex(CpuIdentity.MaxBasicLeaf);
            KernelConsole.WriteLine(" (computed at boot)");

            KernelConsole.Prefix();
            KernelConsole.Write("module initializer: ");
            KernelConsole.WriteLine(RuntimeSelfCheck.ModuleInitializerTsc != 0 ? "ran" : "DID NOT RUN");

            string gcStatics = RuntimeSelfCheck.CheckGCStatics();
            KernelConsole.Prefix();
            KernelConsole.Write("GC statics: ");
            KernelConsole.WriteLine(gcStatics ?? "ok");
        }

        // Clock rate and where it came from (with what calibrating cost), wall-clock time, randomness source.
        private static void WriteTimeAndRandomness()
        {
            KernelConsole.Prefix();
            KernelConsole.Write("clock: TSC ");
            WriteMegahertz(Clock.TscFrequency);
            KernelConsole.Write(" (");
            KernelConsole.Write(TscCalibration.SourceName(TscCalibration.Source));
            if (TscCalibration.Source == TscFrequencySource.Pit)
            {
                KernelConsole.Write(": ");
                KernelConsole.WriteDecimal(Clock.TscTicksToNanoseconds(TscCalibration.WindowTicks) / 1000);
                KernelConsole.Write(" us, ");
                KernelConsole.WriteDecimal(TscCalibration.Samples);
                KernelConsole.Write(" reads, +-");
                KernelConsole.WriteDecimal(TscCalibration.ErrorPpm);
                KernelConsole.Write(" ppm at 3 sigma");
                if (TscCalibration.Attempts > 1)
                {
                    KernelConsole.Write(", ");
                    KernelConsole.WriteDecimal((ulong)TscCalibration.Attempts);
                    KernelConsole.Write(" attempts");
                }
            }
            if (TscCalibration.CommandLineRejected) KernelConsole.Write("; uk.tsc.khz IGNORED: not a TSC rate in 10 MHz..100 GHz");
            KernelConsole.Write("); set-up took ");
            KernelConsole.WriteDecimal(Clock.TscTicksToNanoseconds(TimeStartup.CostTicks) / 1000);
            KernelConsole.WriteLine(" us");

            KernelConsole.Prefix();
            char* text = stackalloc char[CivilTime.Iso8601Length];
            if (Clock.HasWallClock)
            {
                KernelConsole.Write("wall clock: ");
                int length = CivilTime.FormatIso8601((long)(Clock.RealtimeNanoseconds / Clock.NanosecondsPerSecond), text);
                for (int i = 0; i < length; i++) KernelConsole.Write(text[i]);
                KernelConsole.WriteLine(" (CMOS RTC at boot, whole seconds)");
            }
            else
            {
                KernelConsole.WriteLine("wall clock: none (no CMOS RTC): realtime counts from 1970-01-01T00:00:00Z at boot");
            }

            KernelConsole.Prefix();
            KernelConsole.Write("randomness: ");
            KernelConsole.Write(Random.SourceName(Random.Source));
            if (Random.Source == RandomSource.Rdrand && HardwareRandom.HasRdseed) KernelConsole.Write(" (RDSEED also present)");
            KernelConsole.WriteLine();
        }

        // "2294.612 MHz"
        private static void WriteMegahertz(ulong hz)
        {
            KernelConsole.WriteDecimal(hz / 1_000_000);
            KernelConsole.Write('.');
            ulong thousandths = hz % 1_000_000 / 1000;
            if (thousandths < 100) KernelConsole.Write('0');
            if (thousandths < 10) KernelConsole.Write('0');
            KernelConsole.WriteDecimal(thousandths);
            KernelConsole.Write(" MHz");
        }

        private static void Line(string text)
        {
            KernelConsole.Prefix();
            KernelConsole.WriteLine(text);
        }
    }
}
