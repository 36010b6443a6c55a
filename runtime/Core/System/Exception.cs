namespace System
{
    // Exceptions exist so that ILC's range, null and cast checks have something to throw; in the
    // kernel every throw ends in a kernel panic that prints the message and a stack trace.
    public class Exception
    {
        private readonly string _message;
        public Exception() { }
        public Exception(string message) { _message = message; }
        public virtual string Message => _message ?? "Exception of an unnamed type was thrown.";
    }

    public class SystemException : Exception
    {
        public SystemException(string message) : base(message) { }
    }
    public sealed class NullReferenceException : SystemException
    {
        public NullReferenceException() : base("Object reference not set to an instance of an object.") { }
    }
    public sealed class IndexOutOfRangeException : SystemException
    {
        public IndexOutOfRangeException() : base("Index was outside the bounds of the array.") { }
    }
    public sealed class InvalidCastException : SystemException
    {
        public InvalidCastException() : base("Specified cast is not valid.") { }
    }
    public sealed class OverflowException : SystemException
    {
        public OverflowException() : base("Arithmetic operation resulted in an overflow.") { }
    }
    public sealed class DivideByZeroException : SystemException
    {
        public DivideByZeroException() : base("Attempted to divide by zero.") { }
    }
    public sealed class ArrayTypeMismatchException : SystemException
    {
        public ArrayTypeMismatchException() : base("Attempted to access an element as a type incompatible with the array.") { }
    }
    public class ArgumentException : SystemException
    {
        public ArgumentException(string message) : base(message) { }
    }
    public sealed class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException(string message) : base(message) { }
    }
    public sealed class InvalidOperationException : SystemException
    {
        public InvalidOperationException(string message) : base(message) { }
    }
    public sealed class NotSupportedException : SystemException
    {
        public NotSupportedException(string message) : base(message) { }
    }
    public sealed class OutOfMemoryException : SystemException
    {
        public OutOfMemoryException() : base("Insufficient memory to continue the execution of the program.") { }
    }
    public sealed class PlatformNotSupportedException : SystemException
    {
        public PlatformNotSupportedException() : base("Operation is not supported on this platform.") { }
    }
}
