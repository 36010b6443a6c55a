namespace Unikernel.Disk.Formats;

/// <summary>A disk that a format cannot hold, an unknown format name or a file that is not what its header says: the
/// message is one line naming the problem, for uk and uk-ld to print as is.</summary>
public sealed class DiskFormatException(string message) : Exception(message);
