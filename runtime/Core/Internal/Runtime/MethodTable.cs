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
    }
}
