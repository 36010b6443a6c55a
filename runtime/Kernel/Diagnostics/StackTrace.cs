using Kernel.Console;

namespace Kernel.Diagnostics
{
    // Stack traces by walking the frame-pointer chain: ILC-generated code keeps rbp frames
    // ([rbp] = caller's rbp, [rbp+8] = return address), as do the boot stub's helpers that call C#.
    internal static unsafe class StackTrace
    {
        private const int MaxFrames = 32;
        private static SymbolTable s_symbols;
        private static ulong s_stackLow, s_stackHigh;

        public static void Initialize(byte* symbols, ulong symbolsLength, ulong stackLow, ulong stackHigh)
        {
            s_symbols.Initialize(symbols, symbolsLength);
            s_stackLow = stackLow;
            s_stackHigh = stackHigh;
        }

        public static uint SymbolCount => s_symbols.Count;

        /// <summary>Writes "0x... name+0x.." for a code address.</summary>
        public static void WriteLocation(ulong address)
        {
            KernelConsole.WriteHex(address, 16);
            byte* name;
            int limit;
            ulong offset;
            fixed (SymbolTable* symbols = &s_symbols)
            {
                if (!symbols->Lookup(address, out name, out limit, out offset)) return;
            }
            KernelConsole.Write(' ');
            KernelConsole.WriteBytes(name, limit);
            KernelConsole.Write("+");
            KernelConsole.WriteHex(offset);
        }

        /// <summary>The trace of the current call stack, starting at the caller of this method.</summary>
        public static void WriteCurrent()
        {
            ulong rbp = Arch.Cpu.ReadFramePointer();
            // The first frame is our own caller's; skip the helper frame itself.
            if (!IsPlausibleFrame(rbp, 0)) { Write(0, 0); return; }
            Write(((ulong*)rbp)[1], ((ulong*)rbp)[0]);
        }

        public static void Write(ulong rip, ulong rbp)
        {
            KernelConsole.Prefix();
            KernelConsole.WriteLine("stack trace:");
            int frame = 0;
            if (rip != 0) WriteFrame(frame++, rip);
            ulong previous = 0;
            while (frame < MaxFrames && IsPlausibleFrame(rbp, previous))
            {
                ulong returnAddress = ((ulong*)rbp)[1];
                if (returnAddress == 0) break;
                // A return address points after the call; name the call instruction's function.
                WriteFrame(frame++, returnAddress);
                previous = rbp;
                rbp = ((ulong*)rbp)[0];
            }
            if (frame == 0) { KernelConsole.Prefix(); KernelConsole.WriteLine("  (no frames)"); }
        }

        private static void WriteFrame(int index, ulong address)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("  #");
            KernelConsole.WriteDecimal((ulong)index);
            KernelConsole.Write(" ");
            WriteLocation(address);
            KernelConsole.WriteLine();
        }

        // Frames live on a known stack, grow towards higher addresses as we unwind, and are aligned.
        private static bool IsPlausibleFrame(ulong rbp, ulong previous)
        {
            if (rbp == 0 || (rbp & 7) != 0 || rbp <= previous) return false;
            if (s_stackHigh != 0 && (rbp < s_stackLow || rbp + 16 > s_stackHigh)) return false;
            return true;
        }
    }
}
