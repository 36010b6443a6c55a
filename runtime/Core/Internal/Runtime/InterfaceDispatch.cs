namespace Internal.Runtime
{
    // Interface dispatch: finds the code an interface call site must reach for a given object.
    //
    // ILC compiles `itf.M(...)` as `lea r11, [cell]; call [r11]`. Every cell starts out pointing at the
    // boot stub's RhpInitialDynamicInterfaceDispatch, which saves the argument registers, calls the
    // kernel's uk_interface_dispatch (which calls Resolve below), restores them and jumps to the result.
    // Cells are never rewritten; a small side table remembers the last target per cell.
    //
    // A cell is two words { stub, cache }. Cells come in runs ended by a cell whose stub is 0; that
    // terminator's second word holds the run's interface slot (low 16 bits) and cell kind (bits 16+,
    // 0 = interface and slot). The low two bits of a cell's own second word say where the interface
    // type is: 3 = a 32-bit offset from the word itself, 2 = the same but to a pointer to it, 1 = the
    // pointer itself (other bits). A value below 0x1000 with those bits clear is a vtable offset.
    //
    // Resolution follows the runtime's rule: walk the object's type and its base types; in each type's
    // dispatch map find the entry for (interface, slot); its implementation slot indexes the object's
    // vtable, or, past the owning type's vtable, that type's sealed vtable. Default interface methods
    // are looked up in a second walk over the default entries. Generic variance is not supported.
    public static unsafe class InterfaceDispatch
    {
        private const nuint CacheBitsMask = 3;
        private const nuint InterfacePointer = 1;
        private const nuint IndirectInterfaceRelative = 2;
        private const nuint InterfaceRelative = 3;
        private const nuint MaxVTableOffsetPlusOne = 0x1000;
        private const nuint InterfaceAndSlotCell = 0;

        private const ushort ReabstractionSlot = 0xFFFF;
        private const ushort DiamondSlot = 0xFFFE;

        private struct Cell
        {
            public nuint Stub;
            public nuint Cache;
        }

        /// <summary>
        /// The code address an interface call through <paramref name="cell"/> must reach for the object
        /// <paramref name="obj"/>, or null with the reason in <paramref name="failure"/>.
        /// </summary>
        public static void* Resolve(void* obj, void* cell, out string failure)
        {
            failure = null;
            if (obj == null)
            {
                failure = "interface call on a null reference";
                return null;
            }
            MethodTable* type = *(MethodTable**)obj;

            void* cached = CacheLookup(cell, type);
            if (cached != null) return cached;

            Cell* c = (Cell*)cell;
            nuint cache = c->Cache;
            void* target;
            if (cache < MaxVTableOffsetPlusOne && (cache & CacheBitsMask) == 0)
            {
                // A virtual call routed through a dispatch cell: the value is the slot's byte offset.
                target = *(void**)((byte*)type + cache);
            }
            else
            {
                MethodTable* interfaceType;
                int slot;
                if (!DecodeCell(cell, out interfaceType, out slot, out failure)) return null;
                target = FindImplementation(type, interfaceType, slot, out failure);
                if (target == null) return null;
            }

            CacheStore(cell, type, target);
            return target;
        }

        /// <summary>The interface type and method slot a dispatch cell calls (for reports).</summary>
        public static bool DescribeCell(void* cell, out void* interfaceType, out int slot)
        {
            MethodTable* itf;
            string failure;
            bool ok = DecodeCell(cell, out itf, out slot, out failure);
            interfaceType = itf;
            return ok;
        }

        private static bool DecodeCell(void* cell, out MethodTable* interfaceType, out int slot, out string failure)
        {
            interfaceType = null;
            slot = 0;
            failure = null;
            Cell* c = (Cell*)cell;
            nuint cache = c->Cache;
            nuint kind = cache & CacheBitsMask;
            if (kind == 0)
            {
                failure = "interface dispatch cell holds a runtime cache or vtable offset, not an interface";
                return false;
            }

            Cell* terminator = c;
            while (terminator->Stub != 0) terminator++;
            nuint info = terminator->Cache;
            if ((info >> 16) != InterfaceAndSlotCell)
            {
                failure = "interface dispatch cell is not an (interface, slot) cell";
                return false;
            }
            slot = (int)(info & 0xFFFF);

            if (kind == InterfacePointer)
            {
                interfaceType = (MethodTable*)(cache & ~CacheBitsMask);
            }
            else
            {
                byte* address = (byte*)&c->Cache + (int)(uint)cache;
                address = (byte*)((nuint)address & ~CacheBitsMask);
                interfaceType = kind == InterfaceRelative ? (MethodTable*)address : *(MethodTable**)address;
            }
            return true;
        }

        private static void* FindImplementation(MethodTable* type, MethodTable* interfaceType, int slot, out string failure)
        {
            failure = null;
            // First the types' own implementations, then default interface methods.
            for (int pass = 0; pass < 2; pass++)
            {
                bool defaults = pass == 1;
                for (MethodTable* current = type; current != null; current = current->BaseType)
                {
                    if (current->IsDynamicType)
                    {
                        failure = "interface dispatch on a dynamically built type is not supported";
                        return null;
                    }
                    int implSlot = FindImplSlot(current, interfaceType, slot, defaults);
                    if (implSlot < 0) continue;

                    if (implSlot < current->NumVtableSlots)
                        return type->GetVTableSlot(implSlot); // the object's type may override it
                    if (implSlot == ReabstractionSlot)
                    {
                        failure = "interface method is reabstracted: no implementation (EntryPointNotFound)";
                        return null;
                    }
                    if (implSlot == DiamondSlot)
                    {
                        failure = "interface method has more than one most specific implementation";
                        return null;
                    }
                    if (!current->HasSealedVTableEntries)
                    {
                        failure = "dispatch map names a sealed slot but the type has no sealed vtable";
                        return null;
                    }
                    return current->GetSealedVirtualSlot(implSlot - current->NumVtableSlots);
                }
            }

            failure = interfaceType->HasGenericVariance
                ? "no exact implementation, and variant interface dispatch is not supported in the kernel"
                : "the object's type does not implement the interface method";
            return null;
        }

        // The implementation slot of (interfaceType, slot) in this type's own dispatch map, or -1.
        private static int FindImplSlot(MethodTable* type, MethodTable* interfaceType, int slot, bool defaults)
        {
            DispatchMap* map = type->DispatchMap;
            if (map == null) return -1;
            DispatchMapEntry* entries = (DispatchMapEntry*)(map + 1);
            int first = defaults ? map->StandardEntryCount : 0;
            int end = defaults ? map->StandardEntryCount + map->DefaultEntryCount : map->StandardEntryCount;
            MethodTable** interfaces = type->InterfaceMap;
            for (int i = first; i < end; i++)
            {
                DispatchMapEntry* entry = entries + i;
                if (entry->InterfaceMethodSlot == slot && entry->InterfaceIndex < type->NumInterfaces
                    && interfaces[entry->InterfaceIndex] == interfaceType)
                    return entry->ImplMethodSlot;
            }
            return -1;
        }

        // A direct-mapped side table: the last (type, target) per cell. An entry's sequence number is odd
        // while it is being written; a reader that sees it odd or changed takes the slow path, and a
        // writer that finds it odd (it interrupted another writer) leaves it alone. Single CPU only.
        private const int CacheEntries = 64;

        private struct CacheEntry
        {
            public volatile nuint Sequence;
            public volatile void* Cell;
            public volatile MethodTable* Type;
            public volatile void* Target;
        }

        private struct CacheTable
        {
            public fixed ulong Words[CacheEntries * 4];
        }

        private static CacheTable s_cache;

        private static CacheEntry* CacheEntryFor(void* cell)
        {
            fixed (ulong* words = s_cache.Words)
                return (CacheEntry*)words + (int)(((nuint)cell >> 4) & (CacheEntries - 1));
        }

        private static void* CacheLookup(void* cell, MethodTable* type)
        {
            CacheEntry* entry = CacheEntryFor(cell);
            nuint sequence = entry->Sequence;
            if ((sequence & 1) != 0) return null;
            void* entryCell = entry->Cell;
            MethodTable* entryType = entry->Type;
            void* target = entry->Target;
            if (entry->Sequence != sequence) return null;
            return entryCell == cell && entryType == type ? target : null;
        }

        private static void CacheStore(void* cell, MethodTable* type, void* target)
        {
            CacheEntry* entry = CacheEntryFor(cell);
            nuint sequence = entry->Sequence;
            if ((sequence & 1) != 0) return;
            entry->Sequence = sequence + 1;
            entry->Cell = cell;
            entry->Type = type;
            entry->Target = target;
            entry->Sequence = sequence + 2;
        }
    }
}
