namespace Kernel.Files
{
    // Names as the VFS keeps them: bytes (Linux names are bytes, not text), each in its own array owned by
    // its node.
    internal static unsafe class FileNames
    {
        public static byte[] FromString(string text)
        {
            byte[] name = new byte[text.Length];
            for (int i = 0; i < text.Length; i++) name[i] = (byte)text[i];
            return name;
        }

        public static byte[] FromBytes(byte* bytes, int length)
        {
            byte[] name = new byte[length];
            for (int i = 0; i < length; i++) name[i] = bytes[i];
            return name;
        }

        public static bool IsDot(byte* name, int length) => length == 1 && name[0] == '.';
        public static bool IsDotDot(byte* name, int length) => length == 2 && name[0] == '.' && name[1] == '.';
    }
}
