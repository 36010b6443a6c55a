using Kernel.Arch;
using Kernel.Memory;
using Unikernel.Formats;

namespace Kernel.Boot
{
    // The compressed image (docs/boot-abi.md, "The compressed payload"): uk-ld moved the bytes of the app's segments and
    // of uk_image_info + uk_ksyms + uk_files into LZ4 blocks at PayloadStart, and left their program headers with
    // p_filesz 0, so the loader zero-filled their pages. This writes each region's bytes to its address, right after the
    // loader's data is copied and before memory is set up: nothing has read the app or the tables yet, the boot stub's
    // page tables map all of it writable (the final ones, with W^X, come later), and the payload's pages, above every
    // region, are not yet anyone's, so the page allocator takes them as free RAM afterwards. No heap here: the reasons
    // are constant strings.
    internal static unsafe class ImagePayload
    {
        public static ulong Regions, CompressedBytes, ExpandedBytes, Ticks;

        /// <summary>Null when there is nothing to expand or all of it was expanded, else why not.</summary>
        public static string Expand(BootInfo* boot, PvhMemoryMapEntry* map, int entries)
        {
            if (boot->PayloadStart == 0) return null;
            ulong started = Cpu.ReadTimeStampCounter();
            if (!InRam(map, entries, boot->PayloadStart, UkPayloadFormat.HeaderSize))
                return "image payload: it lies beyond the machine's RAM: give the guest more memory";
            byte* payload = (byte*)MemoryLayout.ToDirectMap(boot->PayloadStart);
            UkPayloadHeader* header = (UkPayloadHeader*)payload;
            if (header->Magic != UkPayloadFormat.Magic)
                return "image payload: no payload at PayloadStart (a damaged image, or one expanded by a host tool)";
            if (!InRam(map, entries, boot->PayloadStart, header->Size))
                return "image payload: it lies beyond the machine's RAM: give the guest more memory";
            if (header->Codec != UkPayloadFormat.CodecLz4Block) return "image payload: unknown codec";
            if (header->RegionSize < UkPayloadFormat.RegionSize || header->RegionsOffset < UkPayloadFormat.HeaderSize
                || (ulong)header->RegionsOffset + (ulong)header->RegionCount * header->RegionSize > header->Size)
                return "image payload: its region table does not fit in it";

            for (uint i = 0; i < header->RegionCount; i++)
            {
                UkPayloadRegion* region = (UkPayloadRegion*)(payload + header->RegionsOffset + (ulong)i * header->RegionSize);
                if ((ulong)region->DataOffset + region->DataSize > header->Size)
                    return "image payload: a region's block lies outside the payload";
                // Only the app's window below the payload: never the kernel, never the payload itself.
                if (region->Address < boot->AppStart || region->Address > boot->PayloadStart
                    || region->MemorySize > boot->PayloadStart - region->Address || region->FileSize > region->MemorySize)
                    return "image payload: a region lies outside the app's window below the payload";
                long written = Lz4BlockDecoder.Decode(payload + region->DataOffset, region->DataSize,
                                                      (byte*)MemoryLayout.ToDirectMap(region->Address), region->FileSize);
                if (written != (long)region->FileSize) return "image payload: a region's LZ4 block is corrupt";
                CompressedBytes += region->DataSize;
                ExpandedBytes += region->FileSize;
            }
            Regions = header->RegionCount;
            Ticks = Cpu.ReadTimeStampCounter() - started;
            return null;
        }

        private static bool InRam(PvhMemoryMapEntry* map, int entries, ulong start, ulong size)
        {
            for (int i = 0; i < entries; i++)
                if (map[i].Type == PvhMemoryMapEntry.Ram && map[i].Address <= start && start - map[i].Address + size <= map[i].Size) return true;
            return false;
        }
    }
}
