using Kernel.Platform;

namespace Kernel.Files
{
    // A growing byte buffer for generated file contents (/proc, /sys) and other kernel-made text.
    // Its memory comes from FileMemory; whoever ends up with the bytes (TakeBytes) frees them with
    // FileMemory.Free, otherwise Dispose does. Running out of memory sets Failed instead of panicking.
    internal sealed unsafe class TextBuilder
    {
        private byte* _data;
        private long _length;
        private long _capacity;

        public long Length => _length;
        public byte* Data => _data;
        public bool Failed { get; private set; }

        public TextBuilder Append(string text)
        {
            if ((object)text == null) return this;
            if (!Reserve(text.Length)) return this;
            for (int i = 0; i < text.Length; i++) _data[_length++] = (byte)text[i];
            return this;
        }

        public TextBuilder Append(byte value)
        {
            if (Reserve(1)) _data[_length++] = value;
            return this;
        }

        public TextBuilder Append(char value) => Append((byte)value);

        public TextBuilder Append(byte* bytes, long count)
        {
            if (count <= 0 || !Reserve(count)) return this;
            for (long i = 0; i < count; i++) _data[_length++] = bytes[i];
            return this;
        }

        public TextBuilder Append(byte[] bytes)
        {
            if (bytes == null) return this;
            fixed (byte* p = bytes) return Append(p, bytes.Length);
        }

        public TextBuilder AppendDecimal(ulong value) => AppendDecimal(value, 0);

        /// <summary>Right-aligned in at least <paramref name="width"/> characters (seq_put_decimal_ull_width).</summary>
        public TextBuilder AppendDecimal(ulong value, int width)
        {
            byte* digits = stackalloc byte[20];
            int n = 0;
            do { digits[n++] = (byte)('0' + (int)(value % 10)); value /= 10; } while (value != 0);
            for (int pad = n; pad < width; pad++) Append((byte)' ');
            while (n > 0) Append(digits[--n]);
            return this;
        }

        public TextBuilder AppendSigned(long value)
        {
            if (value < 0) { Append((byte)'-'); return AppendDecimal((ulong)(-value)); }
            return AppendDecimal((ulong)value);
        }

        /// <summary>Lower-case hexadecimal without prefix, at least <paramref name="minDigits"/> digits.</summary>
        public TextBuilder AppendHex(ulong value, int minDigits)
        {
            int digits = 16;
            while (digits > minDigits && digits > 1 && ((value >> ((digits - 1) * 4)) & 0xF) == 0) digits--;
            for (int i = digits - 1; i >= 0; i--)
            {
                int nibble = (int)((value >> (i * 4)) & 0xF);
                Append((byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
            }
            return this;
        }

        /// <summary>The text so far, padded with spaces to <paramref name="column"/> characters since <paramref name="lineStart"/>.</summary>
        public TextBuilder PadTo(long lineStart, int column)
        {
            while (_length - lineStart < column && !Failed) Append((byte)' ');
            return this;
        }

        /// <summary>Hands the bytes over to the caller, who frees them with FileMemory.Free; the builder is empty afterwards.</summary>
        public byte* TakeBytes(out long length)
        {
            byte* data = _data;
            length = _length;
            _data = null;
            _length = 0;
            _capacity = 0;
            return data;
        }

        /// <summary>Frees the bytes (if still owned) and the builder itself.</summary>
        public void Dispose()
        {
            FileMemory.Free(_data);
            _data = null;
            FileMemory.Release(this);
        }

        private bool Reserve(long extra)
        {
            if (Failed) return false;
            if (_length + extra <= _capacity) return true;
            long capacity = _capacity == 0 ? 256 : _capacity * 2;
            while (capacity < _length + extra) capacity *= 2;
            byte* grown = FileMemory.Allocate((ulong)capacity);
            if (grown == null) { Failed = true; return false; }
            for (long i = 0; i < _length; i++) grown[i] = _data[i];
            FileMemory.Free(_data);
            _data = grown;
            _capacity = capacity;
            return true;
        }
    }
}
