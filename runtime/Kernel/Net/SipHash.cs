namespace Kernel.Net
{
    // SipHash-2-4 (Aumasson and Bernstein) of a fixed 16-byte message, the two words given: the keyed hash
    // behind TCP's initial sequence numbers (RFC 6528 asks for a PRF of the connection's addresses and a secret).
    internal static class SipHash
    {
        public static ulong Hash(ulong key0, ulong key1, ulong message0, ulong message1)
        {
            ulong v0 = key0 ^ 0x736f6d6570736575UL, v1 = key1 ^ 0x646f72616e646f6dUL;
            ulong v2 = key0 ^ 0x6c7967656e657261UL, v3 = key1 ^ 0x7465646279746573UL;
            Compress(ref v0, ref v1, ref v2, ref v3, message0);
            Compress(ref v0, ref v1, ref v2, ref v3, message1);
            Compress(ref v0, ref v1, ref v2, ref v3, 16UL << 56);   // the length byte of a 16-byte message
            v2 ^= 0xFF;
            for (int i = 0; i < 4; i++) Round(ref v0, ref v1, ref v2, ref v3);
            return v0 ^ v1 ^ v2 ^ v3;
        }

        private static void Compress(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3, ulong m)
        {
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
        {
            v0 += v1; v1 = Rotate(v1, 13); v1 ^= v0; v0 = Rotate(v0, 32);
            v2 += v3; v3 = Rotate(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Rotate(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Rotate(v1, 17); v1 ^= v2; v2 = Rotate(v2, 32);
        }

        private static ulong Rotate(ulong x, int b) => (x << b) | (x >> (64 - b));
    }
}
