namespace System
{
    // Kernel strings are literals (frozen in the image by ILC) or built from char arrays. The layout
    // (length, then UTF-16 characters) is fixed by ILC.
    public sealed unsafe class String
    {
        public static readonly string Empty = "";

        private readonly int _stringLength;
        private char _firstChar;

        public int Length => _stringLength;

        [System.Runtime.CompilerServices.IndexerName("Chars")]
        public char this[int index]
        {
            [System.Runtime.CompilerServices.Intrinsic]
            get
            {
                if ((uint)index >= (uint)_stringLength)
                    Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowIndexOutOfRangeException();
                fixed (char* p = &_firstChar) return p[index];
            }
        }

        internal ref char GetPinnableReference() => ref _firstChar;

        public static bool operator ==(string a, string b) => Equals(a, b);
        public static bool operator !=(string a, string b) => !Equals(a, b);
        public override bool Equals(object o) => o is string s && Equals(this, s);
        public override int GetHashCode()
        {
            int hash = 5381;
            for (int i = 0; i < _stringLength; i++) hash = hash * 33 ^ this[i];
            return hash;
        }
        public override string ToString() => this;

        public static bool Equals(string a, string b)
        {
            if ((object)a == (object)b) return true;
            if ((object)a == null || (object)b == null || a._stringLength != b._stringLength) return false;
            for (int i = 0; i < a._stringLength; i++)
                if (a[i] != b[i]) return false;
            return true;
        }

        // Allocates an uninitialised string of the given length; the only way the kernel makes strings
        // at run time (string.Concat, number formatting, Ascii decoding).
        internal static string FastAllocateString(int length)
        {
            string s = System.Runtime.RuntimeExports.AllocateString(length);
            return s;
        }

        public static string Concat(string a, string b)
        {
            a ??= Empty; b ??= Empty;
            string result = FastAllocateString(a.Length + b.Length);
            fixed (char* dst = &result._firstChar)
            {
                for (int i = 0; i < a.Length; i++) dst[i] = a[i];
                for (int i = 0; i < b.Length; i++) dst[a.Length + i] = b[i];
            }
            return result;
        }

        public static string Concat(string a, string b, string c) => Concat(Concat(a, b), c);
        public static string Concat(string a, string b, string c, string d) => Concat(Concat(a, b), Concat(c, d));

        public static string FromAscii(byte* bytes, int length)
        {
            string result = FastAllocateString(length);
            fixed (char* dst = &result._firstChar)
                for (int i = 0; i < length; i++) dst[i] = (char)bytes[i];
            return result;
        }
    }
}
