namespace Kernel.Devices
{
    /// <summary>
    /// Recognises Ctrl+Alt+Delete in a keyboard's scan code set 2 (what a PS/2 keyboard sends when the i8042 does not
    /// translate): Ctrl is 0x14 (right: E0 14), Alt 0x11 (right: E0 11), Delete E0 71 (keypad Delete: 71), a release
    /// is the same code after F0. Firecracker's SendCtrlAltDel injects exactly 14, 11, E0 71 with no releases
    /// (src/vmm/src/devices/legacy/i8042.rs); a real keyboard, or QEMU's send-key, presses and releases. Other bytes
    /// (an ACK 0xFA, other keys) only end a release prefix. Portable (host-tested).
    /// </summary>
    internal struct CtrlAltDelete
    {
        private const byte Extended = 0xE0, Release = 0xF0, Control = 0x14, Alt = 0x11, Delete = 0x71;

        private bool _release, _control, _alt;

        /// <summary>Takes the next byte from the keyboard; true when it completes a press of Delete with Ctrl and Alt held.</summary>
        public bool Feed(byte code)
        {
            if (code == Extended) return false;   // both Ctrl keys, both Alt keys and both Deletes count
            if (code == Release) { _release = true; return false; }
            bool down = !_release;
            _release = false;
            switch (code)
            {
                case Control: _control = down; return false;
                case Alt: _alt = down; return false;
                case Delete: return down && _control && _alt;
                default: return false;
            }
        }
    }
}
