using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Boot
{
    // The .NET GC (workstation, regions) reserves an address range of twice the machine's RAM for its heap, and needs
    // about 21 MiB of range for its first regions (gen0-2 and the large- and pinned-object heaps, the latter two eight
    // regions each): below 11 MiB of RAM it fails to start, and the app exits with status 255 before its first line,
    // without a word. Only address space is short, not memory (the range is reserved, and committed as the heap
    // grows), so on a small machine the kernel gives the app a larger range, DOTNET_GCRegionRange, as the environment's
    // lowest-priority default: any source that sets the name wins (docs/memory.md). Above SmallMachineBytes the
    // runtime's own rule applies untouched.
    internal static unsafe class RuntimeMemoryDefaults
    {
        public const string RegionRangeName = "DOTNET_GCRegionRange";
        /// <summary>The range given below SmallMachineBytes of RAM: 2 x 16 MiB, what the runtime itself takes at 16 MiB.</summary>
        public const ulong SmallMachineRegionRange = 32UL << 20;
        public const ulong SmallMachineBytes = SmallMachineRegionRange / 2;

        public static void Apply()
        {
            if (KernelMemory.RamBytes >= SmallMachineBytes) return;
            // NAME=VALUE with VALUE in hex, the DOTNET_ variables' notation (no 0x).
            int nameLength = RegionRangeName.Length;
            int digits = HexDigits(SmallMachineRegionRange);
            int length = nameLength + 1 + digits;
            byte* entry = (byte*)KernelMemory.AllocateZeroed((nuint)(length + 1));
            if (entry == null) return;
            for (int i = 0; i < nameLength; i++) entry[i] = (byte)RegionRangeName[i];
            if (BootEnvironment.Contains(entry, nameLength)) { KernelMemory.FreeBlock(entry); return; }
            entry[nameLength] = (byte)'=';
            for (int i = 0; i < digits; i++)
            {
                int nibble = (int)((SmallMachineRegionRange >> ((digits - 1 - i) * 4)) & 0xF);
                entry[nameLength + 1 + i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            }
            BootEnvironment.AddKernelDefault(entry, length, nameLength);

            KernelConsole.Prefix();
            KernelConsole.Write("environment: ");
            KernelConsole.Write(RegionRangeName);
            KernelConsole.Write(" from the kernel: ");
            KernelConsole.WriteDecimal(KernelMemory.RamBytes >> 20);
            KernelConsole.Write(" MiB of RAM is too little address range for the .NET GC's first regions (it reserves 2 x RAM); giving it ");
            KernelConsole.WriteDecimal(SmallMachineRegionRange >> 20);
            KernelConsole.WriteLine(" MiB of range, committed only as the heap grows");
        }

        private static int HexDigits(ulong value)
        {
            int digits = 1;
            while ((value >> (digits * 4)) != 0) digits++;
            return digits;
        }
    }
}
