using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Boot
{
    // The kernel's own copy of what the PVH loader left in guest memory: the start info, the memory
    // map and the command line. Copied once, first thing, because the loader may put them anywhere --
    // SeaBIOS's PVH option ROM uses page 0, which the kernel keeps unmapped to catch null pointers --
    // and because the page allocator may then hand that memory out.
    internal static unsafe class LoaderData
    {
        public const int MaxMemoryMapEntries = 128;
        public const int MaxCommandLineBytes = 4096;   // including the NUL
        private const ulong BiosDataAreaEbdaSegment = 0x40E;

        private struct Storage
        {
            public PvhStartInfo StartInfo;
            public fixed byte MemoryMap[MaxMemoryMapEntries * 24];
            public fixed byte CommandLine[MaxCommandLineBytes];
        }

        private static Storage s_storage;

        public static PvhStartInfo* StartInfo;
        public static PvhMemoryMapEntry* MemoryMap;
        public static int MemoryMapEntries;
        public static byte* CommandLine;        // NUL-terminated
        public static int CommandLineLength;
        /// <summary>
        /// Where the BIOS's Extended BIOS Data Area starts, from the segment word at 0x40E of the BIOS Data Area (page 0,
        /// mapped only here): the first place to look for the ACPI RSDP (Devices/Acpi). Arbitrary without a BIOS.
        /// </summary>
        public static ulong EbdaAddress;
        /// <summary>The loader's command line was longer than the copy holds: the kernel refuses it (BootCommandLine).</summary>
        public static bool CommandLineTruncated;
        /// <summary>Where the loader left the start info, its memory map and the command line (and how long each
        /// is): memory the kernel does not reuse for anything it hands another CPU (Boot/ApplicationProcessors).</summary>
        public static MemoryRange OriginalStartInfo, OriginalMemoryMap, OriginalCommandLine;

        /// <summary>Null on success, else why the loader's data cannot be used.</summary>
        public static string Capture(ulong startInfoAddress)
        {
            if (startInfoAddress == 0) return "no PVH start info: the kernel must be booted through its PVH entry";
            PageTables.SetPresent(0, true);
            string problem = Copy((PvhStartInfo*)startInfoAddress);
            EbdaAddress = (ulong)*(ushort*)BiosDataAreaEbdaSegment << 4;
            PageTables.SetPresent(0, false);
            return problem;
        }

        private static string Copy(PvhStartInfo* source)
        {
            fixed (Storage* storage = &s_storage)
            {
                StartInfo = &storage->StartInfo;
                MemoryMap = (PvhMemoryMapEntry*)storage->MemoryMap;
                CommandLine = storage->CommandLine;

                if (source->Magic != PvhStartInfo.ExpectedMagic) return "PVH start info has the wrong magic: the kernel must be booted through its PVH entry";
                *StartInfo = *source;
                if (source->Version < 1 || source->MemoryMapEntries == 0) return "the loader gave no memory map (PVH start info version 0)";
                if (source->MemoryMapEntries > MaxMemoryMapEntries) return "the loader's memory map has more than 128 entries";

                MemoryMapEntries = (int)source->MemoryMapEntries;
                PvhMemoryMapEntry* map = (PvhMemoryMapEntry*)source->MemoryMapAddress;
                for (int i = 0; i < MemoryMapEntries; i++) MemoryMap[i] = map[i];

                CommandLineLength = 0;
                byte* text = (byte*)source->CommandLineAddress;
                if (text != null)
                {
                    while (text[CommandLineLength] != 0)
                    {
                        if (CommandLineLength == MaxCommandLineBytes - 1) { CommandLineTruncated = true; break; }
                        CommandLine[CommandLineLength] = text[CommandLineLength];
                        CommandLineLength++;
                    }
                }
                CommandLine[CommandLineLength] = 0;
                OriginalStartInfo = new MemoryRange { Start = (ulong)source, Length = (ulong)sizeof(PvhStartInfo) };
                OriginalMemoryMap = new MemoryRange { Start = source->MemoryMapAddress, Length = (ulong)MemoryMapEntries * (ulong)sizeof(PvhMemoryMapEntry) };
                OriginalCommandLine = new MemoryRange { Start = (ulong)text, Length = (ulong)CommandLineLength + 1 };
                // Point the copy at our copies, so nothing later reaches back into loader memory.
                StartInfo->MemoryMapAddress = (ulong)MemoryMap;
                StartInfo->CommandLineAddress = (ulong)CommandLine;
            }
            return null;
        }
    }
}
