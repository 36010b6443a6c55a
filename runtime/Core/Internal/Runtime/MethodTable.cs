namespace Internal.Runtime
{
    // The part of ILC's type descriptor the kernel's runtime reads. Layout (x64): component size and
    // flags, base size, related type (base class, or element type of an array), vtable slot count,
    // interface count, hash code, then the vtable and the interface map.
    internal unsafe struct MethodTable
    {
        internal ushort _usComponentSize;
        internal ushort _usFlags;
        internal uint _uBaseSize;
        internal MethodTable* _relatedType;
        internal ushort _usNumVtableSlots;
        internal ushort _usNumInterfaces;
        internal uint _uHashCode;

        private const ushort HasComponentSizeFlag = 0x0200;
        private const ushort KindMask = 0x0003;
        private const ushort ParameterizedKind = 0x0002;
        private const ushort ElementTypeShift = 11;
        private const ushort ElementTypeInterface = 0x15;
        private const ushort ElementTypeSzArray = 0x18;
        private const ushort ElementTypeArray = 0x17;
        private const ushort ElementTypeSystemArray = 0x16;

        internal bool HasComponentSize => (_usFlags & HasComponentSizeFlag) != 0;
        internal uint ComponentSize => HasComponentSize ? _usComponentSize : 0u;
        internal uint BaseSize => _uBaseSize;
        internal MethodTable* BaseType => (_usFlags & KindMask) == ParameterizedKind ? null : _relatedType;
        internal MethodTable* ElementType => _relatedType;
        internal uint ElementKind => (uint)(_usFlags >> ElementTypeShift);
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
