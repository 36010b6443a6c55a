using System;

namespace Internal.Runtime.CompilerHelpers
{
    // ILC calls these for implicit checks (bounds, null, overflow, division). They throw the same
    // exceptions .NET does; in the kernel a throw becomes a panic naming the throw site.
    internal static class ThrowHelpers
    {
        public static void ThrowOverflowException() => throw new OverflowException();
        public static void ThrowIndexOutOfRangeException() => throw new IndexOutOfRangeException();
        public static void ThrowNullReferenceException() => throw new NullReferenceException();
        public static void ThrowDivideByZeroException() => throw new DivideByZeroException();
        public static void ThrowArrayTypeMismatchException() => throw new ArrayTypeMismatchException();
        public static void ThrowPlatformNotSupportedException() => throw new PlatformNotSupportedException();
        public static void ThrowInvalidCastException() => throw new InvalidCastException();
        public static void ThrowArgumentException() => throw new ArgumentException("Value does not fall within the expected range.");
        public static void ThrowArgumentOutOfRangeException() => throw new ArgumentOutOfRangeException("Specified argument was out of the range of valid values.");
        public static void ThrowNotSupportedException() => throw new NotSupportedException("Specified method is not supported.");

        // ILC substitutes these for code it could not compile (a missing method, a removed feature);
        // reaching one at run time is a build problem, reported as such.
        public static void ThrowFeatureBodyRemoved() => RuntimeHooks.Fail("reached a method body ILC removed (feature switch)");
        public static void ThrowInvalidProgramException(int id) => RuntimeHooks.Fail("invalid program: ILC could not compile a method the kernel called");
        public static void ThrowInvalidProgramExceptionWithArgument(int id, string methodName) => RuntimeHooks.Fail(string.Concat("invalid program in ", methodName));
        public static void ThrowTypeLoadException(int id, string className, string typeName) => RuntimeHooks.Fail(string.Concat("type load failure: ", className, " ", typeName));
        public static void ThrowTypeLoadExceptionWithArgument(int id, string className, string typeName, string messageArg) => RuntimeHooks.Fail(string.Concat("type load failure: ", className, " ", typeName));
        public static void ThrowMissingMethodException(int id, string methodName) => RuntimeHooks.Fail(string.Concat("missing method: ", methodName));
        public static void ThrowMissingFieldException(int id, string fieldName) => RuntimeHooks.Fail(string.Concat("missing field: ", fieldName));
        public static void ThrowFileNotFoundException(int id, string fileName) => RuntimeHooks.Fail(string.Concat("missing assembly: ", fileName));
        public static void ThrowBadImageFormatException(int id) => RuntimeHooks.Fail("bad image format");
        public static void ThrowMarshalDirectiveException(int id) => RuntimeHooks.Fail("unsupported P/Invoke marshalling");
        public static void ThrowAmbiguousMatchException(int id) => RuntimeHooks.Fail("ambiguous method match");
        public static void ThrowBodyRemoved() => RuntimeHooks.Fail("reached a method body ILC removed");
    }
}
