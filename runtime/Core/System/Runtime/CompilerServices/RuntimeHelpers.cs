namespace System.Runtime.CompilerServices
{
    public static unsafe class RuntimeHelpers
    {
        public static int OffsetToStringData => sizeof(IntPtr) + sizeof(int);

        [Intrinsic]
        public static bool IsReferenceOrContainsReferences<T>() => throw null;

        // Array initializers (`new byte[] { 1, 2, 3 }`) copy from a blob ILC puts in the image.
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle)
        {
            Internal.Runtime.CompilerHelpers.RuntimeHooks.Fail("RuntimeHelpers.InitializeArray is not supported in the kernel: use a static ReadOnlySpan or a loop");
        }
    }
}
