namespace Kernel.Signals
{
    // Where a signal frame goes below a stack top (SignalDelivery's picture): the FXSAVE image 64-byte
    // aligned at the top, then siginfo and ucontext, and the restorer's return address at the bottom,
    // placed so that rsp % 16 == 8 at the handler's first instruction, as after a call. The stack top
    // comes from the app (its rsp, or its sigaltstack base + size), so the arithmetic refuses to wrap
    // and to leave the user window (MemoryLayout): such a frame cannot be written, and the signal becomes SIGSEGV.
    internal static class SignalFrameLayout
    {
        public const int GeneralRegisterCount = 23;
        public const int FxSaveSize = 512;
        public const int SignalInfoSize = 128;
        public const int UContextSize = 8 + 8 + 24 + GeneralRegisterCount * 8 + 8 + 64 + 8;   // 304
        /// <summary>The most a frame takes below its stack top: restorer, ucontext, siginfo, alignment, FXSAVE image.</summary>
        public const int Capacity = 8 + UContextSize + SignalInfoSize + 16 + 64 + FxSaveSize;
        /// <summary>The frame's lowest address (the new rsp) and its FXSAVE image's, for a stack top; false if it cannot be placed.</summary>
        public static bool TryPlace(ulong top, out ulong start, out ulong fpstate)
        {
            start = fpstate = 0;
            if (top > Memory.MemoryLayout.UserLimit || top < Memory.MemoryLayout.UserBase + Capacity) return false;
            fpstate = (top - FxSaveSize) & ~63UL;
            start = ((fpstate - 8 - UContextSize - SignalInfoSize) & ~15UL) - 8;
            return true;
        }

        /// <summary>The top of an alternate stack (base + size), false if the sum wraps around.</summary>
        public static bool TryAlternateTop(ulong stackBase, ulong size, out ulong top)
        {
            top = stackBase + size;
            return top >= stackBase;
        }
    }
}
