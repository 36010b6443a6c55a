namespace System
{
    // The root of the type system. An object starts with its MethodTable pointer; the 8 bytes before it
    // are the object header, which the kernel never uses (no locks on objects, no identity hashes).
    public unsafe class Object
    {
        internal Internal.Runtime.MethodTable* m_pMethodTable;

        public Object() { }
        ~Object() { }

        public virtual bool Equals(object o) => (object)this == o;
        public virtual int GetHashCode() => (int)(long)Runtime.CompilerServices.Unsafe.AsPointer(ref GetRawData());
        public virtual string ToString() => "object";

        internal ref byte GetRawData() => ref Runtime.CompilerServices.Unsafe.As<RawData>(this).Data;
    }

    internal sealed class RawData
    {
        public byte Data;
    }
}
