using Unikernel.Tools.Qemu;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The test kernel takes deliberate faults (uk.selftest=NAME); each must end in a report naming the
/// fault, the place, the registers and a symbolized stack trace, and a non-zero exit status.
/// </summary>
public class KernelFaultTests
{
    private const int PanicStatus = 70;

    /// <summary>Runs a self-test that must succeed (exit status <paramref name="status"/>); returns the console.</summary>
    private static async Task<string> PassAsync(string selftest, MachineKind machine = MachineKind.Microvm, int status = 0)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, machine, $"uk.selftest={selftest}");
        Assert.False(result.TimedOut, result.Console);
        Assert.True(result.ExitStatus == status, $"exit status {result.ExitStatus}\n{result.Console}");
        return result.Console.Replace("\r\n", "\n");
    }

    private static async Task<string> FaultAsync(string selftest, MachineKind machine = MachineKind.Microvm)
    {
        var result = await KernelImages.BootAsync(KernelImages.SelfTestKernel, machine, $"uk.selftest={selftest}");
        Assert.False(result.TimedOut, result.Console);
        Assert.True(result.ExitStatus == PanicStatus, $"exit status {result.ExitStatus}\n{result.Console}");
        Assert.Contains($"uk: exit status {PanicStatus}", result.Console);
        Assert.Contains("uk: stack trace:", result.Console);
        return result.Console;
    }

    [Fact]
    public async Task WithTheTableBesideTheImageUkRunNamesTheSameFunctions()
    {
        // The guest prints bare addresses; QemuRunner (uk run) names them from kernel-selftest-beside.elf.syms.
        string beside = KernelImages.SelfTestKernelWithTableBeside;
        var named = await KernelImages.BootAsync(beside, MachineKind.Microvm, "uk.selftest=pagefault");
        var inImage = await KernelImages.BootAsync(KernelImages.SelfTestKernel, MachineKind.Microvm, "uk.selftest=pagefault");
        var bare = await QemuRunner.RunAsync(new QemuOptions
        {
            ImagePath = beside, Accelerator = Accelerator.Tcg, CommandLine = "uk.selftest=pagefault", NameFaultAddresses = false,
        }, KernelImages.BootTimeout);

        static List<string> Report(BootResult r) =>
            r.KernelLines.Where(l => l.StartsWith("uk: panic:", StringComparison.Ordinal) || l.StartsWith("uk:   #", StringComparison.Ordinal)).ToList();
        Assert.Equal(PanicStatus, named.ExitStatus);
        Assert.Contains("uk: kernel symbols: beside the image (fault reports show addresses)", named.KernelLines);
        Assert.True(Report(named).Count >= 4, named.Console);
        Assert.Equal(Report(inImage), Report(named));
        Assert.Matches(@"uk:   #\d+ 0x[0-9a-f]{16} Kernel_Kernel_Boot_KernelEntry__Main\+0x", string.Join("\n", Report(named)));
        // What the guest itself wrote: the same addresses, no names.
        Assert.Equal(Report(named).Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"(0x[0-9a-f]{16}) \S+\+0x[0-9a-f]+", "$1")),
                     Report(bare));
        Assert.Matches(@"^uk:   #0 0x[0-9a-f]{16}$", Report(bare)[1]);
    }

    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task PageFaultIsReportedWithAddressRegistersAndStack(MachineKind machine)
    {
        string c = await FaultAsync("pagefault", machine);
        Assert.Matches(@"uk: panic: CPU exception #PF \(page fault, vector 14\) at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_SelfTests__TouchUnmappedMemory\+0x", c);
        Assert.Contains("page not present, write, kernel), faulting address 0x123456000", c);
        Assert.Matches(@"uk:\s+rax=0x[0-9a-f]{16} rbx=", c);
        Assert.Matches(@"cr2=0x0000000123456000", c);
        // The trace starts at the faulting function and reaches back into the kernel entry and the boot stub.
        Assert.Matches(@"uk:   #0 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_SelfTests__TouchUnmappedMemory\+0x", c);
        Assert.Matches(@"uk:   #\d+ 0x[0-9a-f]{16} Kernel_Kernel_Boot_KernelEntry__Main\+0x", c);
        Assert.Matches(@"uk:   #\d+ 0x[0-9a-f]{16} uk_boot_call_kernel\+0x", c);
    }

    [Fact]
    public async Task NullPointerIsCaughtByTheGuardPage()
    {
        string c = await FaultAsync("nullref");
        Assert.Contains("CPU exception #PF (page fault, vector 14)", c);
        Assert.Contains("(null pointer)", c);
    }

    [Fact]
    public async Task KernelStackOverflowHitsTheGuardPageAndIsReportedAsSuch()
    {
        string c = await FaultAsync("stack-overflow");
        Assert.Contains("uk: panic: CPU exception #DF (double fault, vector 8)", c);
        Assert.Matches(@"uk:   kernel stack overflow: rsp 0x[0-9a-f]+ is in the guard page below the boot stack \(0x[0-9a-f]+\)", c);
        // The recursion is folded into one line, and the trace still reaches the kernel entry.
        Assert.Matches(@"uk:   #1 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_SelfTests__Recurse\+0x[0-9a-f]+\r?\nuk:   \.\.\. the frame above \d+ more times", c);
        Assert.Matches(@"uk:   #\d+ 0x[0-9a-f]{16} Kernel_Kernel_Boot_KernelEntry__Main\+0x", c);
    }

    [Fact]
    public async Task InvalidOpcodeIsReported()
    {
        string c = await FaultAsync("invalid-opcode");
        Assert.Matches(@"CPU exception #UD \(invalid opcode, vector 6\) at 0x[0-9a-f]{16} uk_trigger_invalid_opcode", c);
    }

    [Fact]
    public async Task GeneralProtectionFaultIsReported()
    {
        string c = await FaultAsync("gp");
        Assert.Matches(@"CPU exception #GP \(general protection fault, vector 13\) at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_SelfTests__WriteNonCanonical", c);
    }

    [Fact]
    public async Task ThrowInKernelCodeNamesMessageAndThrowSite()
    {
        string c = await FaultAsync("throw");
        Assert.Contains("uk: panic: unhandled exception in the kernel: selftest: deliberate throw in kernel code", c);
        Assert.Matches(@"uk:   thrown at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_SelfTests__ThrowFromKernel\+0x", c);
    }

    [Fact]
    public async Task ImplicitBoundsCheckThrowsIndexOutOfRange()
    {
        string c = await FaultAsync("bounds");
        Assert.Contains("uk: panic: unhandled exception in the kernel: Index was outside the bounds of the array.", c);
    }

    // Interface calls resolve through the dispatch maps: several implementations per call site,
    // inherited and overridden implementations, slot 1, an inherited interface, explicit and default
    // implementations, a boxed struct, 15 mixed int/double arguments and struct returns (register pair
    // and buffer).
    [Fact]
    public async Task InterfaceCallsReachTheirImplementations()
    {
        Assert.Contains("uk: selftest interface: 7 8 9 10 11 11 12 13 14 20 21 22 23 24 25 26 27 30 31 32 33 34 35 36 37 "
            + "80 82 99 86 688 100 101 18 1376 200 102 36 2064 300 103 54 2752 400 104 72 (ok)", await PassAsync("interface"));
    }

    // An object seen through an interface its type does not implement: nothing to dispatch to.
    [Fact]
    public async Task UnimplementedInterfaceCallStopsWithTheCallSite()
    {
        string c = await FaultAsync("interface-missing");
        Assert.Matches(@"uk: panic: unresolvable interface call at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_InterfaceDispatchSelfTest__CallUnimplementedInterface\+0x", c);
        Assert.Contains("the object's type does not implement the interface method", c);
        Assert.Matches(@"interface type 0x[0-9a-f]{16} slot 0, object type 0x[0-9a-f]{16}", c);
    }

    // int3 goes through the whole interrupt entry and exit path and comes back with registers intact.
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task BreakpointsAreReportedAndSteppedOver(MachineKind machine)
    {
        string c = await PassAsync("breakpoint", machine);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(c, @"uk: breakpoint \(#BP\) at 0x[0-9a-f]{16} uk_breakpoint\+0x0; continuing").Count);
        Assert.Contains("uk: selftest breakpoint: 3 breakpoints stepped over, state intact (ok)", c);
    }

    [Fact]
    public async Task TypeChecksAndCastsFollowTheTypeHierarchy()
    {
        Assert.Contains("uk: selftest casts: SI|SCRI|SCRI|SI|T|A|A|| (ok)", await PassAsync("casts"));
    }

    [Fact]
    public async Task FailingCheckedCastIsAPanicNamingTheCast()
    {
        string c = await FaultAsync("bad-cast");
        Assert.Contains("uk: panic: unhandled exception in the kernel: Specified cast is not valid.", c);
        Assert.Matches(@"uk:   #\d+ 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_CastChecks__FailingCast\+0x", c);
    }

    // Ring 3 reaches the kernel only through `syscall`: write goes to the console, an unknown number
    // returns -ENOSYS and is reported once, exit_group's status becomes QEMU's.
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task Ring3CodeTalksToTheKernelThroughSyscalls(MachineKind machine)
    {
        string c = await PassAsync("ring3", machine, status: 30);
        Assert.Contains("uk: unimplemented system call 400 (returns -ENOSYS)", c);
        Assert.Contains("hello from ring 3 via syscall\n", c);
        Assert.Contains("uk: exit status 30", c);
    }

    [Fact]
    public async Task Ring3CannotWriteKernelMemory()
    {
        string c = await FaultAsync("ring3-fault");
        Assert.Contains("CPU exception #PF (page fault, vector 14)", c);
        Assert.Contains("error code 0x7 (protection violation, write, user), faulting address 0x100000", c);
        Assert.Contains("uk:   in user mode (ring 3)", c);
        Assert.Matches(@"cs =0x0000000000000023 ss =0x000000000000001b", c);
    }

    [Fact]
    public async Task HeapAllocationsAreGivenBack()
    {
        Assert.Matches(@"uk: selftest heap: live blocks before (\d+), after \1, invalid frees 0 \(ok\)", await PassAsync("heap"));
    }

    // The address space (runtime/Kernel/Memory/MemoryLayout.cs): the kernel checks its own page tables, then the
    // CPU proves each protection by faulting.
    [Theory]
    [InlineData(MachineKind.Microvm)]
    [InlineData(MachineKind.Pc)]
    public async Task TheKernelIsOutsideTheUserWindowWithWriteXorExecute(MachineKind machine)
    {
        string c = await PassAsync("memory-layout", machine);
        Assert.Matches(@"uk: selftest memory-layout: \d+ checks, 0 failures \(ok\)", c);
        // QEMU's `-cpu max` offers all three under TCG; the tests rely on that.
        Assert.Contains("uk: selftest memory-layout: smep on, smap on, umip on", c);
    }

    [Fact]
    public async Task SmapStopsTheKernelReadingUserPagesOutsideAUserAccessWindow()
    {
        string c = await FaultAsync("smap");
        Assert.Matches(@"uk: panic: CPU exception #PF \(page fault, vector 14\) at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_AddressSpaceSelfTest__ReadByte", c);
        Assert.Contains("(protection violation, read, kernel), faulting address 0x40", c);
        Assert.Contains("(SMAP: the kernel touched a user page outside a UserAccess window)", c);
    }

    [Fact]
    public async Task SmepStopsTheKernelExecutingUserPages()
    {
        string c = await FaultAsync("smep");
        Assert.Contains("(protection violation, read, instruction fetch, kernel), faulting address 0x40", c);
        Assert.Contains("(SMEP: kernel code jumped into a user page)", c);
    }

    [Fact]
    public async Task KernelTextIsNotWritable()
    {
        string c = await FaultAsync("write-text");
        Assert.Matches(@"uk: panic: CPU exception #PF \(page fault, vector 14\) at 0x[0-9a-f]{16} Kernel_Kernel_SelfTest_AddressSpaceSelfTest__WriteByte", c);
        Assert.Contains("(protection violation, write, kernel), faulting address 0x1000", c);
    }

    [Fact]
    public async Task KernelDataIsNotExecutable()
    {
        string c = await FaultAsync("exec-data");
        Assert.Matches(@"\(protection violation, read, instruction fetch, kernel\), faulting address 0xffff8000", c);
    }
}
