using Kernel.Devices;

namespace Unikernel.Runtime.Tests;

// The kernel's recogniser of Ctrl+Alt+Delete in scan code set 2 (runtime/Kernel/Devices/CtrlAltDelete.cs).
public sealed class CtrlAltDeleteTests
{
    private static int[] Recognised(params byte[] codes)
    {
        var keys = new CtrlAltDelete();
        return codes.Select((c, i) => keys.Feed(c) ? i : -1).Where(i => i >= 0).ToArray();
    }

    [Fact]
    public void FirecrackersSequenceIsRecognisedOnItsLastByte()
        => Assert.Equal([3], Recognised(0x14, 0x11, 0xE0, 0x71));   // i8042.rs: KEY_CTRL, KEY_ALT, KEY_DEL

    [Fact]
    public void QemuSendKeyPressesAndReleases()
    {
        // send-key ctrl-alt-delete: ctrl, alt, delete down, then up in reverse order.
        Assert.Equal([3], Recognised(0x14, 0x11, 0xE0, 0x71, 0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14));
        // Right Ctrl and right Alt, and the keypad's Delete.
        Assert.Equal([4], Recognised(0xE0, 0x14, 0xE0, 0x11, 0x71));
    }

    [Fact]
    public void DeleteAloneOrAfterAReleasedModifierIsNot()
    {
        Assert.Empty(Recognised(0xE0, 0x71));
        Assert.Empty(Recognised(0x14, 0xE0, 0x71));                      // Ctrl+Delete
        Assert.Empty(Recognised(0x14, 0x11, 0xF0, 0x11, 0xE0, 0x71));    // Alt released before Delete
        Assert.Empty(Recognised(0x14, 0x11, 0xE0, 0xF0, 0x71));          // a release of Delete
        Assert.Equal([5], Recognised(0x14, 0x11, 0xFA, 0x1C, 0xE0, 0x71)); // an ACK and another key in between change nothing
    }
}
