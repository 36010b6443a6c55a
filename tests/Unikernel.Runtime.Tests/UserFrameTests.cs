using Kernel.Arch;
using Kernel.Signals;

namespace Unikernel.Runtime.Tests;

// The checks on what the app hands back to the kernel before iretq (runtime/Kernel/Signals/UserFrame.cs)
// and where a signal frame may go (SignalFrameLayout.cs). TCG does not fault on a non-canonical iretq
// target as real CPUs do, so these rules are tested here, directly.
public unsafe class UserFrameTests
{
    [Theory]
    [InlineData(0x0000_0000_0000_0000UL, true)]
    [InlineData(0x0000_0000_0040_0000UL, true)]
    [InlineData(0x0000_7FFF_FFFF_FFFFUL, true)]    // the last lower-half byte
    [InlineData(0x0000_8000_0000_0000UL, false)]   // the first non-canonical address
    [InlineData(0x1234_5678_9ABC_DEF0UL, false)]
    [InlineData(0x8000_0000_0000_0000UL, false)]
    [InlineData(0xFFFF_7FFF_FFFF_FFFFUL, false)]   // the last non-canonical address
    [InlineData(0xFFFF_8000_0000_0000UL, true)]    // the kernel half is canonical: the app faults there itself
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, true)]
    public void CanonicalMeansBits63To47Equal(ulong address, bool canonical) =>
        Assert.Equal(canonical, UserFrame.IsCanonical(address));

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL, 0x7FFF_FFFF_F000UL)]   // non-canonical rip
    [InlineData(0xDEAD_BEEF_0000_0000UL, 0x7FFF_FFFF_F000UL)]
    [InlineData(0x40_1000UL, 0x0000_8000_0000_0010UL)]          // non-canonical rsp
    [InlineData(0x40_1000UL, 0x8000_0000_0000_0000UL)]
    public void AFrameWithANonCanonicalRipOrRspIsRefused(ulong rip, ulong rsp)
    {
        InterruptFrame frame = default;
        frame.Rip = rip;
        frame.Rsp = rsp;
        Assert.False(UserFrame.Sanitize(&frame));
    }

    [Fact]
    public void AResumableFrameGetsUserSelectorsWhateverItSaid()
    {
        InterruptFrame frame = default;
        frame.Rip = 0x40_1000;
        frame.Rsp = 0x7FFF_FFFF_E000;
        frame.Cs = 0x08;   // the kernel's code selector: iretq would return to ring 0
        frame.Ss = 0x10;
        Assert.True(UserFrame.Sanitize(&frame));
        Assert.Equal(0x23UL, frame.Cs);
        Assert.Equal(0x1BUL, frame.Ss);
    }

    [Fact]
    public void RflagsKeepsOnlyWhatRing3MayChangeAndInterruptsStayOn()
    {
        const ulong Iopl3 = 0x3000, Nt = 0x4000, Vm = 0x2_0000, Vif = 0x8_0000, Vip = 0x10_0000;
        const ulong Arithmetic = 0x8D5;   // CF PF AF ZF SF OF
        InterruptFrame frame = default;
        frame.Rip = 0x40_1000;
        frame.Rsp = 0x7FFF_FFFF_E000;
        frame.Rflags = ulong.MaxValue & ~UserFrame.InterruptFlag;
        Assert.True(UserFrame.Sanitize(&frame));
        Assert.Equal(0UL, frame.Rflags & (Iopl3 | Nt | Vm | Vif | Vip));
        Assert.Equal(0UL, frame.Rflags >> 22);
        Assert.Equal(UserFrame.InterruptFlag | UserFrame.ReservedOneFlag, frame.Rflags & (UserFrame.InterruptFlag | UserFrame.ReservedOneFlag));
        Assert.Equal(Arithmetic | UserFrame.TrapFlag | UserFrame.DirectionFlag | UserFrame.AlignmentCheckFlag | UserFrame.ResumeFlag | UserFrame.IdFlag,
                     frame.Rflags & ~(UserFrame.InterruptFlag | UserFrame.ReservedOneFlag));

        frame.Rflags = 0;
        Assert.True(UserFrame.Sanitize(&frame));
        Assert.Equal(UserFrame.InterruptFlag | UserFrame.ReservedOneFlag, frame.Rflags);
    }

    [Fact]
    public void SigreturnTakesLinuxsFixEflagsFromTheContextAndNothingElse()
    {
        const ulong LinuxFixEflags = 0x5_0DD5;   // AC RF OF DF TF SF ZF AF PF CF (arch/x86/kernel/signal.c)
        Assert.Equal(LinuxFixEflags, UserFrame.RestorableFlags);
        ulong current = UserFrame.InterruptFlag | UserFrame.ReservedOneFlag | UserFrame.IdFlag;
        ulong restored = UserFrame.RestoredFlags(current, ulong.MaxValue);
        Assert.Equal(current | LinuxFixEflags, restored);
        Assert.Equal(current, UserFrame.RestoredFlags(current, 0));
    }

    [Theory]
    [InlineData(0UL, true)]
    [InlineData(0x7FFF_F7FF_0000UL, true)]
    [InlineData(0x7FFF_FFFF_EFFFUL, true)]
    [InlineData(0x7FFF_FFFF_F000UL, false)]        // Linux's TASK_SIZE_MAX: EPERM from there on
    [InlineData(0x0000_8000_0000_0000UL, false)]
    [InlineData(0xFFFF_8000_0000_0000UL, false)]   // canonical, but the kernel's
    [InlineData(0x8000_0000_0000_0000UL, false)]
    public void SegmentBasesMustBeBelowLinuxsTaskSizeMax(ulong fsBase, bool accepted) =>
        Assert.Equal(accepted, UserFrame.IsUserSegmentBase(fsBase));

    [Theory]
    [InlineData(0x7FFF_FFFF_E000UL)]
    [InlineData(0x7FFF_FFFF_E008UL)]
    [InlineData(0x40_0000UL + 0x1234)]
    [InlineData(0x0000_8000_0000_0000UL)]   // the very top of the user half
    public void AFrameFitsBelowItsTopAlignedAsAfterACall(ulong top)
    {
        Assert.True(SignalFrameLayout.TryPlace(top, out ulong start, out ulong fpstate));
        Assert.Equal(0UL, fpstate % 64);
        Assert.True(fpstate + SignalFrameLayout.FxSaveSize <= top);
        Assert.Equal(8UL, start % 16);
        Assert.True(start + 8 + SignalFrameLayout.UContextSize + SignalFrameLayout.SignalInfoSize <= fpstate);
        Assert.True(top - start <= SignalFrameLayout.Capacity);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(100UL)]                          // rsp near 0: the frame would wrap below address 0
    [InlineData(0x20_0000UL)]                    // inside the kernel image, below the user window
    [InlineData(0x40_0100UL)]                    // the frame would reach below the user window's start
    [InlineData(0x0000_8000_0000_0008UL)]       // above the user half (a non-canonical rsp)
    [InlineData(0xFFFF_FFFF_FFFF_FF80UL)]       // rsp 0 minus the red zone
    public void AFrameThatWouldWrapOrLeaveTheUserHalfIsRefused(ulong top) =>
        Assert.False(SignalFrameLayout.TryPlace(top, out _, out _));

    [Fact]
    public void AnAlternateStackWhoseEndWrapsIsRefused()
    {
        Assert.False(SignalFrameLayout.TryAlternateTop(0x7000_0000_0000, ulong.MaxValue - 0x1000, out _));
        Assert.False(SignalFrameLayout.TryAlternateTop(ulong.MaxValue, 2, out _));
        Assert.True(SignalFrameLayout.TryAlternateTop(0x7000_0000_0000, 0x10000, out ulong top));
        Assert.Equal(0x7000_0001_0000UL, top);
    }
}
