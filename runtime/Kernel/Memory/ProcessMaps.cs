using Kernel.Files;

namespace Kernel.Memory
{
    // /proc/self/maps from the app's memory areas, in Linux's format
    // ("start-end perms offset dev inode  path"), which the runtime reads to find its stack bounds.
    internal static class ProcessMaps
    {
        public static void Write(TextBuilder o)
        {
            for (int i = 0; i < UserAddressSpace.AreaCount; i++)
            {
                MemoryArea area = UserAddressSpace.Area(i);
                Hex(o, area.Start);
                o.Append('-');
                Hex(o, area.End);
                o.Append(' ');
                o.Append((area.Protection & MemoryArea.ProtRead) != 0 ? 'r' : '-');
                o.Append((area.Protection & MemoryArea.ProtWrite) != 0 ? 'w' : '-');
                o.Append((area.Protection & MemoryArea.ProtExec) != 0 ? 'x' : '-');
                o.Append("p 00000000 00:00 0");
                if (area.Kind == MemoryAreaKind.Image) o.Append("                          ").Append(Files.Image.ImageFileSystem.ExecutablePath);
                else if (area.Kind == MemoryAreaKind.Stack) o.Append("                          [stack]");
                else if (area.Kind == MemoryAreaKind.Heap) o.Append("                          [heap]");
                o.Append('\n');
            }
        }

        private static void Hex(TextBuilder o, ulong value)
        {
            int digits = 8;
            while (digits < 16 && (value >> (4 * digits)) != 0) digits++;
            for (int d = digits - 1; d >= 0; d--)
            {
                int nibble = (int)((value >> (4 * d)) & 0xF);
                o.Append((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
            }
        }
    }
}
