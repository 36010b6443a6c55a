namespace System
{
    // Block copy and fill helpers ILC calls for struct copies, stackalloc clearing and cpblk/initblk.
    internal static unsafe class SpanHelpers
    {
        public static void Memmove(ref byte destination, ref byte source, nuint length)
        {
            byte* d = (byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination);
            byte* s = (byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref source);
            MemoryMove(d, s, length);
        }

        internal static void MemoryMove(byte* d, byte* s, nuint length)
        {
            if (d == s || length == 0) return;
            if (d < s || d >= s + length)
            {
                nuint i = 0;
                for (; i + 8 <= length; i += 8) *(ulong*)(d + i) = *(ulong*)(s + i);
                for (; i < length; i++) d[i] = s[i];
            }
            else
            {
                nuint i = length;
                while (i >= 8) { i -= 8; *(ulong*)(d + i) = *(ulong*)(s + i); }
                while (i > 0) { i--; d[i] = s[i]; }
            }
        }

        public static void Fill(ref byte destination, byte value, nuint length)
        {
            byte* d = (byte*)Runtime.CompilerServices.Unsafe.AsPointer(ref destination);
            for (nuint i = 0; i < length; i++) d[i] = value;
        }

        public static void ClearWithoutReferences(ref byte destination, nuint length)
            => Fill(ref destination, 0, length);

        public static void ClearWithReferences(ref nint destination, nuint pointerCount)
            => Fill(ref Runtime.CompilerServices.Unsafe.As<nint, byte>(ref destination), 0, pointerCount * (nuint)sizeof(nint));
    }

    public static unsafe class Buffer
    {
        // No GC in the kernel, so a copy with references needs no write barrier.
        internal static void BulkMoveWithWriteBarrier(ref byte destination, ref byte source, nuint byteCount)
            => SpanHelpers.Memmove(ref destination, ref source, byteCount);

        public static void MemoryCopy(void* source, void* destination, long destinationSizeInBytes, long sourceBytesToCopy)
            => SpanHelpers.MemoryMove((byte*)destination, (byte*)source, (nuint)sourceBytesToCopy);
    }
}
