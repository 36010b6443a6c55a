namespace Unikernel.Boot;

/// <summary>Section names and the byte offsets of everything inside boot.o's data sections.</summary>
public static class BootMemoryLayout
{
    public const string NoteSection = ".note.Xen";
    public const string TextSection = ".text.boot";
    public const string DataSection = ".data.boot";
    public const string BssSection = ".bss.boot";
    public const string GnuStackSection = ".note.GNU-stack";

    public const ulong TextAlignment = 16;
    public const ulong DataAlignment = 16;
    public const ulong PageSize = 4096;

    // .data.boot
    public const int Gdt = 0x000;
    /// <summary>Placed so that the 8-byte base after the 2-byte limit is naturally aligned.</summary>
    public const int GdtPointer = 0x046;
    public const int IdtPointer = 0x056;
    public const int Tss = 0x060;
    public const int BootInfo = 0x0D0;
    public const int SecurityCookie = BootInfo + BootInfoLayout.Size;
    public const int TrapThreads = SecurityCookie + 8;
    /// <summary>The kernel lock's word (0 free, else the owner CPU's index + 1): taken by the kernel
    /// (Threads/KernelLock), released by uk_resume_frame once rsp stands on the resumed frame.</summary>
    public const int KernelLockWord = TrapThreads + 8;
    public const int DataSize = KernelLockWord + 8;

    /// <summary>Starting value of <c>__security_cookie</c>; mixed with the TSC at boot. Any non-zero
    /// value works, this one is just recognisable in a dump.</summary>
    public const ulong InitialSecurityCookie = 0x2B99_2DDF_A232_5EED;

    // .bss.boot
    public const int Pml4 = 0x0000;
    public const int Pdpt = 0x1000;
    public const int PageDirectories = 0x2000; // four of them: 0x2000..0x5FFF
    public const int PageDirectoryCount = 4;
    /// <summary>The PML4 entry that maps the first 4 GiB a second time, at 0xFFFF_8000_0000_0000 (the kernel's direct map).</summary>
    public const int DirectMapPml4Slot = 256;
    public const int LowPageTable = 0x6000;    // the first 2 MiB, in 4 KiB pages
    public const int PageTablesSize = 0x7000;
    public const int Idt = 0x7000;
    /// <summary>A page left unused below the boot stack; the kernel unmaps it so that a stack
    /// overflow faults instead of overwriting the IDT.</summary>
    public const int StackGuardPage = 0x8000;
    public const int BootStackBottom = 0x9000;
    public const int BootStackSize = 64 * 1024;
    public const int BootStackTop = BootStackBottom + BootStackSize;
    public const int IstStackSize = 16 * 1024;
    public const int DoubleFaultStackTop = BootStackTop + IstStackSize;
    public const int NmiStackTop = DoubleFaultStackTop + IstStackSize;
    public const int MachineCheckStackTop = NmiStackTop + IstStackSize;
    public const int BssSize = MachineCheckStackTop;

    public const ulong PagePresentWritable = 0x3;
    public const ulong LargePagePresentWritable = 0x83; // PS bit: 2 MiB page
}

/// <summary>
/// Field offsets of the per-CPU block GS_BASE points at while the kernel runs (KERNEL_GS_BASE holds the
/// app's GS meanwhile; every entry from ring 3 and every return to it is a swapgs). The kernel's view of
/// the same block is runtime/Kernel/Arch/PerCpuBlock.cs; both follow docs/boot-abi.md.
/// </summary>
public static class PerCpuLayout
{
    /// <summary>The block's own address: gs:[0] reads it without rdmsr.</summary>
    public const int Self = 0;
    /// <summary>Where uk_syscall_entry switches to (kept equal to this CPU's TSS.RSP0 by uk_set_kernel_stack).</summary>
    public const int SyscallKernelStack = 8;
    /// <summary>The user rsp while uk_syscall_entry builds the frame.</summary>
    public const int SyscallUserStack = 16;
    /// <summary>This CPU's TSS, whose RSP0 uk_set_kernel_stack writes.</summary>
    public const int TssAddress = 24;
    public const int GdtAddress = 32;
    public const int Index = 40;
    public const int ApicId = 44;
    /// <summary>How deep this CPU holds the kernel lock (entries nest: a fault inside a system call).</summary>
    public const int LockDepth = 48;
    /// <summary>The thread this CPU runs (the kernel's Scheduler.Current, an object address; 0 while idle).</summary>
    public const int Current = 56;
    public const int Size = 64;
}

/// <summary>Field offsets of <c>uk_boot_info</c>, the struct handed to <c>uk_kernel_main</c>.</summary>
public static class BootInfoLayout
{
    public const ulong MagicValue = 0x3130_544F_4F42_4B55; // "UKBOOT01"

    public const int Magic = 0;
    public const int PvhStartInfo = 8;
    public const int EntryTsc = 16;
    public const int ImageStart = 24;
    public const int ImageEnd = 32;
    public const int ModulesStart = 40;
    public const int ModulesEnd = 48;
    public const int KsymsStart = 56;
    public const int KsymsEnd = 64;
    public const int TextStart = 72;
    public const int TextEnd = 80;
    public const int BootStackBottom = 88;
    public const int BootStackTop = 96;
    public const int Xcr0 = 104;
    // The app the linker embedded with --app (all 0 without one): what the kernel needs to start it the way
    // Linux starts a static executable (entry, AT_PHDR/AT_PHNUM) and which pages it occupies.
    public const int AppEntry = 112;
    public const int AppProgramHeaders = 120;
    public const int AppProgramHeaderCount = 128;
    public const int AppStart = 136;
    public const int AppEnd = 144;
    // The image's read-only file system (uk_files), after uk_ksyms in the same segment; an empty range (both
    // __image_end) when the image has none.
    public const int FilesStart = 152;
    public const int FilesEnd = 160;
    // Where the compressed payload the kernel expands first is loaded; 0 for an uncompressed image (docs/boot-abi.md,
    // "The compressed payload").
    public const int PayloadStart = 168;
    public const int Size = 176;

    /// <summary>Fields the linker fills, through R_X86_64_64 relocations against its own symbols.</summary>
    public static readonly (int Offset, string Symbol)[] LinkerFilledFields =
    {
        (ImageStart, "__image_start"),
        (ImageEnd, "__image_end"),
        (ModulesStart, "__start___modules"),
        (ModulesEnd, "__stop___modules"),
        (KsymsStart, "__start_uk_ksyms"),
        (KsymsEnd, "__stop_uk_ksyms"),
        (TextStart, "__text_start"),
        (TextEnd, "__text_end"),
        (AppEntry, "__uk_app_entry"),
        (AppProgramHeaders, "__uk_app_phdr"),
        (AppProgramHeaderCount, "__uk_app_phnum"),
        (AppStart, "__uk_app_start"),
        (AppEnd, "__uk_app_end"),
        (FilesStart, "__start_uk_files"),
        (FilesEnd, "__stop_uk_files"),
        (PayloadStart, "__uk_payload_start"),
    };
}
