namespace Internal.Runtime
{
    // The part of ILC's type descriptor the kernel's runtime reads (x64, .NET 10 layout): a 32-bit flags
    // word whose low half is the component size of arrays and strings, the base size, the related type
    // (base class, or element type of an array), vtable slot and interface counts, a hash code, then
    // the vtable and the interface map.
    internal unsafe struct MethodTable
    {
        internal uint _uFlags;
        internal uint _uBaseSize;
        internal MethodTable* _relatedType;
        internal ushort _usNumVtableSlots;
        internal ushort _usNumInterfaces;
        internal uint _uHashCode;

        private const uint HasComponentSizeFlag = 0x80000000;
        private const uint KindMask = 0x00030000;
        private const uint ParameterizedKind = 0x00020000;
        private const uint ElementTypeMask = 0x7C000000;
        private const int ElementTypeShift = 26;

        private const uint ElementTypeInterface = 0x15;
        private const uint ElementTypeSystemArray = 0x16;
        private const uint ElementTypeArray = 0x17;
        private const uint ElementTypeSzArray = 0x18;

        internal bool HasComponentSize => (_uFlags & HasComponentSizeFlag) != 0;
        internal uint ComponentSize => HasComponentSize ? (_uFlags & 0xFFFF) : 0u;
        internal uint BaseSize => _uBaseSize;
        internal MethodTable* BaseType => (_uFlags & KindMask) == ParameterizedKind ? null : _relatedType;
        internal MethodTable* ElementType => _relatedType;
        internal uint ElementKind => (_uFlags & ElementTypeMask) >> ElementTypeShift;
        internal bool IsInterface => ElementKind == ElementTypeInterface;
        internal bool IsArray => ElementKind == ElementTypeSzArray || ElementKind == ElementTypeArray;
        internal bool IsSystemArray => ElementKind == ElementTypeSystemArray;
        internal int NumInterfaces => _usNumInterfaces;

        internal MethodTable** InterfaceMap
        {
            get
            {
                fixed (MethodTable* self = &this)
                    return (MethodTable**)((byte*)self + sizeof(MethodTable) + _usNumVtableSlots * sizeof(void*));
            }
        }

        // Flags the interface resolver needs (.NET 10 EETypeFlags, upper half of _uFlags).
        private const uint HasDispatchMapFlag = 0x00040000;
        private const uint IsDynamicTypeFlag = 0x00080000;
        private const uint HasFinalizerFlag = 0x00100000;
        private const uint HasSealedVTableEntriesFlag = 0x00400000;
        private const uint GenericVarianceFlag = 0x00800000;
        private const uint OptionalFieldsFlag = 0x01000000;

        internal int NumVtableSlots => _usNumVtableSlots;
        internal bool HasDispatchMap => (_uFlags & HasDispatchMapFlag) != 0;
        internal bool HasSealedVTableEntries => (_uFlags & HasSealedVTableEntriesFlag) != 0;
        internal bool HasGenericVariance => (_uFlags & GenericVarianceFlag) != 0;
        // Built at run time by a type loader, with full pointers instead of relative ones; the kernel has none.
        internal bool IsDynamicType => (_uFlags & IsDynamicTypeFlag) != 0;

        /// <summary>The code address in vtable slot <paramref name="slot"/> (the vtable follows the fixed part).</summary>
        internal void* GetVTableSlot(int slot)
        {
            fixed (MethodTable* self = &this)
                return ((void**)((byte*)self + sizeof(MethodTable)))[slot];
        }

        // After the interface map come 32-bit self-relative pointers (statically built types on x64),
        // each present only when its flag says so, in this order: type manager indirection (always),
        // writable data (always), dispatch map, finalizer, optional fields, sealed virtual slots, then
        // generic information the kernel does not read.
        private int* RelativeFields
        {
            get
            {
                fixed (MethodTable* self = &this)
                    return (int*)(InterfaceMap + _usNumInterfaces);
            }
        }

        private static void* FollowRelative(int* field) => (byte*)field + *field;

        /// <summary>The interface dispatch map, or null when the type has none.</summary>
        internal DispatchMap* DispatchMap
        {
            get
            {
                if (!HasDispatchMap) return null;
                return (DispatchMap*)FollowRelative(RelativeFields + 2);
            }
        }

        /// <summary>The code address in sealed virtual slot <paramref name="slot"/>: the sealed vtable is
        /// an array of 32-bit self-relative code pointers reached through its own relative pointer.</summary>
        internal void* GetSealedVirtualSlot(int slot)
        {
            int* field = RelativeFields + 2;
            if (HasDispatchMap) field++;
            if ((_uFlags & HasFinalizerFlag) != 0) field++;
            if ((_uFlags & OptionalFieldsFlag) != 0) field++;
            int* sealedSlots = (int*)FollowRelative(field);
            return FollowRelative(sealedSlots + slot);
        }
    }

    // A type's interface dispatch map: four counts, then the entries. Instance entries come first
    // (the class's own implementations, then default interface implementations), then static virtual
    // entries (8 bytes each: an entry plus a generic-context source), which instance dispatch skips.
    internal struct DispatchMap
    {
        internal ushort StandardEntryCount;
        internal ushort DefaultEntryCount;
        internal ushort StandardStaticEntryCount;
        internal ushort DefaultStaticEntryCount;
        // DispatchMapEntry[StandardEntryCount + DefaultEntryCount] follows.
    }

    // Interface InterfaceMap[InterfaceIndex], method InterfaceMethodSlot, is implemented by vtable slot
    // ImplMethodSlot (or sealed slot ImplMethodSlot - NumVtableSlots of the type owning the map).
    internal struct DispatchMapEntry
    {
        internal ushort InterfaceIndex;
        internal ushort InterfaceMethodSlot;
        internal ushort ImplMethodSlot;
    }
}
