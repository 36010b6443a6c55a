namespace Unikernel.Disk;

/// <summary>A disk or an image that cannot be used as asked; the message is one line naming the problem (where, which
/// field), ready for uk and uk-ld to print.</summary>
public sealed class DiskFormatException(string message) : Exception(message);
