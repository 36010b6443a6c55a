using Unikernel.Formats;

namespace Kernel.Diagnostics
{
    // Reads the `uk_ksyms` table the linker writes into the image (formats/KernelSymbolsFormat.cs,
    // docs/boot-abi.md): function addresses sorted ascending, with sizes and names, so that a return
    // address becomes name+offset.
    internal unsafe struct SymbolTable
    {
        private byte* _start;
        private ulong _length;
        private uint _count;

        /// <summary>False when the table is absent or malformed; lookups then find nothing.</summary>
        public bool Initialize(byte* start, ulong length)
        {
            _start = null; _count = 0; _length = 0;
            if (start == null || length < (ulong)sizeof(KernelSymbolsHeader)) return false;
            KernelSymbolsHeader* header = (KernelSymbolsHeader*)start;
            if (header->Magic != KernelSymbolsFormat.Magic) return false;
            ulong entriesEnd = (ulong)sizeof(KernelSymbolsHeader) + (ulong)header->Count * (ulong)sizeof(KernelSymbolsEntry);
            if (entriesEnd > length || header->StringsOffset < entriesEnd || header->StringsOffset > length) return false;
            _start = start; _length = length; _count = header->Count;
            return true;
        }

        public uint Count => _count;

        /// <summary>
        /// Finds the function containing <paramref name="address"/>. The name is NUL-terminated and
        /// at most <paramref name="nameLimit"/> bytes are guaranteed readable.
        /// </summary>
        public bool Lookup(ulong address, out byte* name, out int nameLimit, out ulong offset)
        {
            name = null; nameLimit = 0; offset = 0;
            if (_count == 0) return false;
            KernelSymbolsEntry* entries = (KernelSymbolsEntry*)(_start + sizeof(KernelSymbolsHeader));
            // Last entry with Address <= address.
            long lo = 0, hi = (long)_count - 1, found = -1;
            while (lo <= hi)
            {
                long mid = lo + ((hi - lo) >> 1);
                if (entries[mid].Address <= address) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            if (found < 0) return false;
            KernelSymbolsEntry* e = &entries[found];
            offset = address - e->Address;
            // A size of 0 means unknown: accept a small distance rather than nothing.
            ulong limit = e->Size != 0 ? e->Size : 4096;
            if (offset >= limit) return false;
            ulong stringsStart = ((KernelSymbolsHeader*)_start)->StringsOffset;
            ulong nameAt = stringsStart + e->NameOffset;
            if (nameAt >= _length) return false;
            name = _start + nameAt;
            nameLimit = (int)(_length - nameAt);
            return true;
        }
    }
}
