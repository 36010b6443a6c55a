// The primitive types ILC and the C# compiler expect to find in the system module. They carry no
// behaviour beyond what the kernel uses: ILC treats them as intrinsics.
namespace System
{
    public struct Void { }
    public struct Boolean { private bool _value; }
    public struct Char { private char _value; }
    public struct SByte { private sbyte _value; }
    public struct Byte { private byte _value; }
    public struct Int16 { private short _value; }
    public struct UInt16 { private ushort _value; }
    public struct Int32 { private int _value; public const int MaxValue = 0x7FFF_FFFF; public const int MinValue = unchecked((int)0x8000_0000); }
    public struct UInt32 { private uint _value; public const uint MaxValue = 0xFFFF_FFFF; }
    public struct Int64 { private long _value; public const long MaxValue = 0x7FFF_FFFF_FFFF_FFFF; public const long MinValue = unchecked((long)0x8000_0000_0000_0000); }
    public struct UInt64 { private ulong _value; public const ulong MaxValue = 0xFFFF_FFFF_FFFF_FFFF; }
    public struct Single { private float _value; }
    public struct Double { private double _value; }

    public unsafe struct IntPtr
    {
        private void* _value;
        public static readonly IntPtr Zero;
        public IntPtr(void* value) { _value = value; }
        public IntPtr(long value) { _value = (void*)value; }
        public static explicit operator IntPtr(long value) => new IntPtr(value);
        public static explicit operator IntPtr(void* value) => new IntPtr(value);
        public static explicit operator void*(IntPtr value) => value._value;
        public static explicit operator long(IntPtr value) => (long)value._value;
        public static bool operator ==(IntPtr a, IntPtr b) => a._value == b._value;
        public static bool operator !=(IntPtr a, IntPtr b) => a._value != b._value;
        public override bool Equals(object o) => o is IntPtr p && p._value == _value;
        public override int GetHashCode() => (int)(long)_value;
    }

    public unsafe struct UIntPtr
    {
        private void* _value;
        public UIntPtr(void* value) { _value = value; }
        public UIntPtr(ulong value) { _value = (void*)value; }
        public static explicit operator UIntPtr(ulong value) => new UIntPtr(value);
        public static explicit operator ulong(UIntPtr value) => (ulong)value._value;
    }

    public abstract class ValueType { }
    public abstract class Enum : ValueType { }

    public struct Nullable<T> where T : struct
    {
        private readonly bool _hasValue;
        private T _value;
        public bool HasValue => _hasValue;
        public T Value => _value;
    }

    public sealed class ParamArrayAttribute : Attribute { }
    public sealed class FlagsAttribute : Attribute { }
    public sealed class ObsoleteAttribute : Attribute { }
    public sealed class CLSCompliantAttribute : Attribute { public CLSCompliantAttribute(bool isCompliant) { } }
    public sealed class ThreadStaticAttribute : Attribute { }

    public abstract class Attribute { }

    public enum AttributeTargets
    {
        Assembly = 0x0001, Module = 0x0002, Class = 0x0004, Struct = 0x0008, Enum = 0x0010,
        Constructor = 0x0020, Method = 0x0040, Property = 0x0080, Field = 0x0100, Event = 0x0200,
        Interface = 0x0400, Parameter = 0x0800, Delegate = 0x1000, ReturnValue = 0x2000,
        GenericParameter = 0x4000, All = 0x7FFF,
    }

    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn) { }
        public bool AllowMultiple { get; set; }
        public bool Inherited { get; set; }
    }

    public struct RuntimeTypeHandle { private IntPtr _value; }
    public struct RuntimeMethodHandle { private IntPtr _value; }
    public struct RuntimeFieldHandle { private IntPtr _value; }

    public abstract class Type { }
    internal sealed class RuntimeType : Type { }

    public abstract class Delegate
    {
        internal object _firstParameter;
        internal object _helperObject;
        internal IntPtr _extraFunctionPointerOrData;
        internal IntPtr _functionPointer;
    }
    public abstract class MulticastDelegate : Delegate { }

    public interface IDisposable { void Dispose(); }
}
