namespace System
{
    // Single-dimensional zero-based arrays only: [MethodTable*][int length][pad][elements].
    public abstract unsafe class Array
    {
        private int _numComponents;
        public int Length => _numComponents;
    }

    // ILC models the generic interfaces of T[] through this type.
    public class Array<T> : Array { }
}
