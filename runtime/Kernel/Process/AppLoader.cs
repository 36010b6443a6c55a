using Kernel.Arch;
using Kernel.Boot;
using Kernel.Memory;
using Kernel.Threads;
using Unikernel.Formats;

namespace Kernel.Process
{
    // Starts the app the linker placed in the image (docs/boot-abi.md, the App* fields of uk_boot_info):
    // a static Linux executable, already loaded at its link addresses with the kernel. What Linux's ELF
    // loader would do is left: zero each segment's bss, open its pages to ring 3 with the segment's
    // permissions, build the initial stack (ProcessStack), and enter _start in ring 3 as thread 1.
    internal static unsafe class AppLoader
    {
        public static bool IsPresent(BootInfo* bootInfo) => bootInfo->AppEntry != 0;

        /// <summary>Runs the app; returns only with a reason it cannot.</summary>
        public static string Start(BootInfo* bootInfo)
        {
            ExtendedState.Initialize(bootInfo->Xcr0);
            UserAddressSpace.Initialize();
            Scheduler.Initialize();
            Futex.Initialize();
            Signals.SignalState.Initialize();
            Syscalls.ProcessSyscalls.Initialize();
            Syscalls.SyscallTable.Configure();
            Files.Synthetic.ProcessMapsFile.Writer = &ProcessMaps.Write;
            Files.Image.ImageFileSystem.Attach((byte*)MemoryLayout.ToDirectMap(bootInfo->FilesStart), bootInfo->FilesEnd - bootInfo->FilesStart);
            BootEnvironment.Assemble();   // the cloud's sources run in it, and may name the machine
            RuntimeMemoryDefaults.Apply();   // after every source: a configured value wins over the kernel's default
            InstanceIdentity.Assign();
            InstanceIdentity.Report();

            string problem = MapSegments(bootInfo);
            if (problem != null) return problem;

            Thread main = Scheduler.Create();
            if (main == null) return "app: no memory for the main thread's kernel stack";
            UserAccess.Begin();
            ulong stackPointer = ProcessStack.Build(bootInfo);
            if (stackPointer != 0) ProcessIdentity.NameAfterExecutable(main);
            UserAccess.End();
            if (stackPointer == 0) return "app: the arguments and environment do not fit on the initial stack (64 KiB of strings)";

            InterruptFrame* frame = main.Frame;
            frame->Rip = bootInfo->AppEntry;
            frame->Rsp = stackPointer;
            frame->Cs = UserCodeSelector;
            frame->Ss = UserDataSelector;
            frame->Rflags = InitialRflags;
            frame->Vector = InterruptDispatcher.SyscallVector;
            InitializeFpuState(frame);
            AppTiming.Started(bootInfo->EntryTsc);
            Machine.BeforeExit = &AppTiming.Report;
            // What asks the app to stop: the ACPI power button, Ctrl-Alt-Del on an i8042 (Firecracker).
            ShutdownRequests.Initialize();
            Devices.Acpi.AcpiEvents.StartPowerButton();
            Devices.Keyboard8042.Start();
            Scheduler.Start(main);
            return "app: the scheduler returned";
        }

        private const ulong UserCodeSelector = 0x23, UserDataSelector = 0x1B;
        private const ulong InitialRflags = 0x202;   // IF: the app is preemptible
        private const uint DefaultMxcsr = 0x1F80;
        private const ushort DefaultFpuControl = 0x37F;

        // What the app's FPU/SSE state is at exec on Linux: default control words, all exceptions masked.
        private static void InitializeFpuState(InterruptFrame* frame)
        {
            *(ushort*)(frame->FxSave + 0) = DefaultFpuControl;
            *(uint*)(frame->FxSave + 24) = DefaultMxcsr;
        }

        private static string MapSegments(BootInfo* bootInfo)
        {
            // Read and zeroed through the direct map: the pages are the app's (KernelAddressSpace mapped them at their
            // link addresses, supervisor-only until Protect below opens each segment with its permissions).
            var headers = (Elf64ProgramHeader*)MemoryLayout.ToDirectMap(bootInfo->AppProgramHeaders);
            for (ulong i = 0; i < bootInfo->AppProgramHeaderCount; i++)
            {
                Elf64ProgramHeader* header = headers + i;
                if (header->Type != ElfConstants.PT_LOAD) continue;
                uint flags = header->Flags;
                ulong vaddr = header->VirtualAddress, fileSize = header->FileSize, memorySize = header->MemorySize;
                if (memorySize == 0) continue;
                if (vaddr < bootInfo->AppStart || memorySize > bootInfo->AppEnd - vaddr || fileSize > memorySize)
                    return "app: a segment lies outside the app's range in uk_boot_info (the image is corrupt)";
                // The loader (QEMU, Firecracker) zero-fills bss too, but nothing in PVH promises it.
                byte* bss = (byte*)MemoryLayout.ToDirectMap(vaddr + fileSize);
                PageAllocator.ZeroMemory(bss, memorySize - fileSize);

                ulong start = vaddr & ~(PageAllocator.PageSize - 1);
                ulong end = (vaddr + memorySize + PageAllocator.PageSize - 1) & ~(PageAllocator.PageSize - 1);
                int protection = ((flags & ElfConstants.PF_R) != 0 ? MemoryArea.ProtRead : 0)
                               | ((flags & ElfConstants.PF_W) != 0 ? MemoryArea.ProtWrite : 0)
                               | ((flags & ElfConstants.PF_X) != 0 ? MemoryArea.ProtExec : 0);
                UserAddressSpace.AddImage(start, end, protection);
                UserAddressSpace.Protect(start, end - start, protection);
            }
            return null;
        }
    }
}
