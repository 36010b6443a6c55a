using Kernel.Console;

namespace Kernel.Diagnostics
{
    // Stack traces by walking the frame-pointer chain: ILC-generated code keeps rbp frames
    // ([rbp] = caller's rbp, [rbp+8] = return address), as do the boot stub's helpers that call C#.
    internal static unsafe class StackTrace
    {
        private const int MaxFrames = 32;
        private static SymbolTable s_symbols;
        private static ulong s_stackLow, s_stackHigh, s_textStart, s_textEnd;

        public static void Initialize(byte* symbols, ulong symbolsLength, ulong stackLow, ulong stackHigh, ulong textStart, ulong textEnd)
        {
            s_symbols.Initialize(symbols, symbolsLength);
            s_stackLow = stackLow;
            s_stackHigh = stackHigh;
            s_textStart = textStart;
            s_textEnd = textEnd;
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
            if (!IsPlausibleFrame(rbp, 0)) { Write(0, 0, 0); return; }
            Write(((ulong*)rbp)[1], ((ulong*)rbp)[0], 0);
        }

        /// <summary>
        /// The trace of an interrupted context. <paramref name="rsp"/> (0 if unknown) lets a fault in
        /// a leaf function, which keeps no frame of its own, still name its caller: the return address
        /// is then on top of the stack.
        /// </summary>
        public static void Write(ulong rip, ulong rbp, ulong rsp)
        {
            KernelConsole.Prefix();
            KernelConsole.WriteLine("stack trace:");
            int frame = 0;
            if (rip != 0) WriteFrame(frame++, rip);
            if (rsp != 0 && IsOnStack(rsp) && LooksLikeReturnAddress(*(ulong*)rsp)
                && !(IsPlausibleFrame(rbp, 0) && ((ulong*)rbp)[1] == *(ulong*)rsp))
                WriteFrame(frame++, *(ulong*)rsp);
            ulong previous = 0, repeatedAddress = 0, repeats = 0;
            while (frame < MaxFrames && IsPlausibleFrame(rbp, previous))
            {
                ulong returnAddress = ((ulong*)rbp)[1];
                if (returnAddress == 0) break;
                previous = rbp;
                rbp = ((ulong*)rbp)[0];
                // Deep recursion would fill the trace with one line; count repeats instead.
                if (returnAddress == repeatedAddress) { repeats++; continue; }
                WriteRepeats(repeats);
                repeats = 0;
                repeatedAddress = returnAddress;
                WriteFrame(frame++, returnAddress);
            }
            WriteRepeats(repeats);
            if (frame == 0) { KernelConsole.Prefix(); KernelConsole.WriteLine("  (no frames)"); }
        }

        private static void WriteRepeats(ulong repeats)
        {
            if (repeats == 0) return;
            KernelConsole.Prefix();
            KernelConsole.Write("  ... the frame above ");
            KernelConsole.WriteDecimal(repeats);
            KernelConsole.WriteLine(" more times");
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
            return IsOnStack(rbp) && IsOnStack(rbp + 8);
        }

        private static bool IsOnStack(ulong address)
            => s_stackHigh == 0 || (address >= s_stackLow && address + 8 <= s_stackHigh);

        // A return address is in kernel code and right after a call: `call rel32` (E8) or an indirect
        // `call r/m64` (FF /2, 2 to 7 bytes long).
        private static bool LooksLikeReturnAddress(ulong address)
        {
            if (address < s_textStart + 8 || address > s_textEnd) return false;
            byte* code = (byte*)address;
            if (code[-5] == 0xE8) return true;
            for (int length = 2; length <= 7; length++)
                if (code[-length] == 0xFF && (code[-length + 1] & 0x38) == 0x10) return true;
            return false;
        }
    }
}
