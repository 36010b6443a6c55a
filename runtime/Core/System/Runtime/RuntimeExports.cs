using System.Runtime.CompilerServices;
using Internal.Runtime;
using Internal.Runtime.CompilerHelpers;

namespace System.Runtime
{
    // Object allocation and boxing: the helpers ILC-generated code calls for `new`, `new T[n]` and
    // boxing (ILC looks this class up by name). There is no garbage collector in the kernel: memory
    // comes from the kernel heap through RuntimeHooks and is given back explicitly
    // (docs/architecture.md, "Kernel memory").
    internal static unsafe class RuntimeExports
    {
        // An object occupies BaseSize bytes: its 8-byte header, the MethodTable pointer, then fields.
        // The object reference points at the MethodTable pointer, 8 bytes into the allocation.
        private const int ObjectHeaderSize = 8;

        private static object AllocateObject(MethodTable* type, nuint size)
        {
            byte* memory = (byte*)RuntimeHooks.AllocateZeroed(size);
            if (memory == null) RuntimeHooks.Fail("kernel heap exhausted: out of memory");
            byte* obj = memory + ObjectHeaderSize;
            *(MethodTable**)obj = type;
            // Reinterpret the address itself (not the memory it points to) as a reference.
            nint reference = (nint)obj;
            return Unsafe.As<nint, object>(ref reference);
        }

        internal static object AllocateObjectOfSize(MethodTable* type, nuint size) => AllocateObject(type, size);

        [RuntimeExport("RhpNewFast")]
        private static object RhpNewFast(MethodTable* type) => AllocateObject(type, type->BaseSize);

        [RuntimeExport("RhpNewFinalizable")]
        private static object RhpNewFinalizable(MethodTable* type) => AllocateObject(type, type->BaseSize);

        [RuntimeExport("RhpNewArrayFast")]
        private static object RhpNewArrayFast(MethodTable* type, int length) => AllocateArray(type, length);

        [RuntimeExport("RhpNewPtrArrayFast")]
        private static object RhpNewPtrArrayFast(MethodTable* type, int length) => AllocateArray(type, length);

        [RuntimeExport("RhpNewArray")]
        private static object RhpNewArray(MethodTable* type, int length) => AllocateArray(type, length);

        [RuntimeExport("RhNewString")]
        private static object RhNewString(MethodTable* type, int length) => AllocateArray(type, length);

        internal static object AllocateArray(MethodTable* type, int length)
        {
            if (length < 0) RuntimeHooks.Fail("negative array length");
            nuint size = type->BaseSize + (nuint)type->ComponentSize * (nuint)(uint)length;
            size = (size + 7) & ~(nuint)7;
            object array = AllocateObject(type, size);
            // The length lives right after the MethodTable pointer.
            *(int*)((byte*)Unsafe.AsPointer(ref array.GetRawData())) = length;
            return array;
        }

        internal static string AllocateString(int length)
        {
            MethodTable* stringType = EETypeOf("");
            return Unsafe.As<string>(AllocateArray(stringType, length));
        }

        private static MethodTable* EETypeOf(object o) => o.m_pMethodTable;

        [RuntimeExport("RhBox")]
        private static object RhBox(MethodTable* type, ref byte data)
        {
            object box = AllocateObject(type, type->BaseSize);
            uint valueSize = type->BaseSize - 2 * (uint)sizeof(void*);
            byte* dst = (byte*)Unsafe.AsPointer(ref box.GetRawData());
            byte* src = (byte*)Unsafe.AsPointer(ref data);
            for (uint i = 0; i < valueSize; i++) dst[i] = src[i];
            return box;
        }

        [RuntimeExport("RhBoxAny")]
        private static object RhBoxAny(ref byte data, MethodTable* type) => RhBox(type, ref data);

        [RuntimeExport("RhUnbox2")]
        private static ref byte RhUnbox2(MethodTable* type, object obj)
        {
            if (obj == null || obj.m_pMethodTable != type)
                RuntimeHooks.Fail("invalid unbox: the boxed value has a different type");
            return ref obj.GetRawData();
        }

        [RuntimeExport("RhUnboxAny")]
        private static void RhUnboxAny(object obj, ref byte data, MethodTable* type)
        {
            ref byte src = ref RhUnbox2(type, obj);
            uint valueSize = type->BaseSize - 2 * (uint)sizeof(void*);
            byte* d = (byte*)Unsafe.AsPointer(ref data);
            byte* s = (byte*)Unsafe.AsPointer(ref src);
            for (uint i = 0; i < valueSize; i++) d[i] = s[i];
        }
    }
}
