using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime
{
    // Cast and array-store checks ILC calls by name. The kernel's type system is simple (no generic
    // variance, single-dimensional arrays), so the checks are plain walks of base types and interface
    // maps; a failed checked cast throws InvalidCastException like on .NET.
    internal static unsafe class TypeCast
    {
        private static bool IsAssignable(MethodTable* source, MethodTable* target)
        {
            if (source == target) return true;
            if (target->IsInterface)
            {
                MethodTable** map = source->InterfaceMap;
                for (int i = 0; i < source->NumInterfaces; i++)
                    if (map[i] == target) return true;
                return false;
            }
            if (source->IsArray)
            {
                // An array is an Object and an Array; element-wise covariance is not modelled.
                return target->BaseType == null || target->IsSystemArray;
            }
            for (MethodTable* t = source->BaseType; t != null; t = t->BaseType)
                if (t == target) return true;
            return false;
        }

        public static object IsInstanceOfClass(MethodTable* target, object obj)
            => obj == null || IsAssignable(obj.m_pMethodTable, target) ? obj : null;

        public static object IsInstanceOfInterface(MethodTable* target, object obj)
            => obj == null || IsAssignable(obj.m_pMethodTable, target) ? obj : null;

        public static object IsInstanceOfArray(MethodTable* target, object obj)
            => obj == null || IsAssignable(obj.m_pMethodTable, target) ? obj : null;

        public static object IsInstanceOfAny(MethodTable* target, object obj)
            => obj == null || IsAssignable(obj.m_pMethodTable, target) ? obj : null;

        // Used by catch filters: does this exception object match the catch clause's type?
        public static bool IsInstanceOfException(MethodTable* target, object obj)
            => obj != null && IsAssignable(obj.m_pMethodTable, target);

        public static object CheckCastClass(MethodTable* target, object obj) => CheckCast(target, obj);
        public static object CheckCastInterface(MethodTable* target, object obj) => CheckCast(target, obj);
        public static object CheckCastArray(MethodTable* target, object obj) => CheckCast(target, obj);
        public static object CheckCastAny(MethodTable* target, object obj) => CheckCast(target, obj);
        public static object CheckCastClassSpecial(MethodTable* target, object obj) => CheckCast(target, obj);

        private static object CheckCast(MethodTable* target, object obj)
        {
            if (obj == null || IsAssignable(obj.m_pMethodTable, target)) return obj;
            throw new InvalidCastException();
        }

        public static void StelemRef(object[] array, nint index, object obj)
        {
            if (array == null) ThrowHelpers.ThrowNullReferenceException();
            if ((nuint)index >= (nuint)(uint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            MethodTable* elementType = array.m_pMethodTable->ElementType;
            if (obj != null && !IsAssignable(obj.m_pMethodTable, elementType))
                throw new ArrayTypeMismatchException();
            ref object element = ref Unsafe.As<byte, object>(ref Unsafe.Add(ref array.GetRawData(), 8));
            Unsafe.Add(ref element, index) = obj;
        }

        public static ref object LdelemaRef(object[] array, nint index, MethodTable* elementType)
        {
            if (array == null) ThrowHelpers.ThrowNullReferenceException();
            if ((nuint)index >= (nuint)(uint)array.Length) ThrowHelpers.ThrowIndexOutOfRangeException();
            if (array.m_pMethodTable->ElementType != elementType) throw new ArrayTypeMismatchException();
            ref object element = ref Unsafe.As<byte, object>(ref Unsafe.Add(ref array.GetRawData(), 8));
            return ref Unsafe.Add(ref element, index);
        }
    }
}

