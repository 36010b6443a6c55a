using Kernel.Files.Events;
using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // sendfile and copy_file_range: bytes moved from one open file to another inside the kernel, through
    // the files' own read and write and one bounded buffer from the kernel heap, freed before returning.
    // As on Linux, a transfer that moves some bytes and then stops (end of input, a full file system, a
    // full pipe) returns what it moved; an error comes back only when nothing moved. Positions follow
    // Linux too: the caller's offset when it gives one (a kernel copy of the app's, which the system call
    // layer copies back), else the description's own, advanced by the bytes moved.
    internal static unsafe class FileTransfer
    {
        /// <summary>Linux caps one transfer at MAX_RW_COUNT (INT_MAX rounded down to a page).</summary>
        public const long MaxTransfer = 0x7FFF_F000;

        /// <summary>The kernel buffer: 64 KiB, or the transfer's size when smaller.</summary>
        public const long BufferSize = 64 * 1024;

        /// <summary>
        /// sendfile(out_fd, in_fd, offset, count), with the descriptors looked up (null: not open; O_PATH
        /// descriptors fail as not readable/writable). <paramref name="offset"/> is null or a kernel copy
        /// of the app's *offset: the input position, advanced here by the bytes moved (the input's own
        /// offset is then left alone). Bytes moved or -errno, checked in Linux's order (do_sendfile).
        /// </summary>
        public static long SendFile(OpenFile output, OpenFile input, long* offset, ulong count)
        {
            if (input == null || !input.CanRead) return -Errno.EBADF;
            if (offset != null && !input.IsSeekable) return -Errno.ESPIPE;
            long position = offset != null ? *offset : input.Offset;
            // rw_verify_area: no negative position or count, no position past the largest loff_t.
            if (position < 0 || (long)count < 0 || position + (long)count < 0) return -Errno.EINVAL;
            if (count > (ulong)MaxTransfer) count = (ulong)MaxTransfer;
            if (output == null || !output.CanWrite) return -Errno.EBADF;

            var pipe = output as PipeEnd;
            if (pipe != null)
            {
                // Into a pipe Linux waits for room first, even for a count of 0 or at the input's end.
                long room = pipe.Pipe.WaitForSpace(pipe.IsNonBlocking);
                if (room <= 0) return room;
            }
            else if ((output.Flags & OpenFlags.Append) != 0)
            {
                return -Errno.EINVAL;   // not supported by sendfile(2) on Linux either
            }
            if (count == 0) return 0;
            if (!input.CanSpliceRead) return -Errno.EINVAL;

            // Seekable inputs are read at `position` (pread), others (the terminal) through read.
            bool positional = input.IsSeekable;
            long moved = Pump(input, positional ? &position : null, output, null, (long)count);
            if (moved > 0 && positional)
            {
                if (offset != null) *offset = position;
                else input.Offset = position;
            }
            return moved;
        }

        /// <summary>
        /// copy_file_range(fd_in, off_in, fd_out, off_out, len, 0) once the system call layer has found both
        /// descriptors (EBADF), read the offsets (EFAULT) and refused flags (EINVAL). Each offset is null or a
        /// kernel copy of the app's, advanced here by the bytes copied (the description's offset otherwise).
        /// Both must be regular files on one file system: across file systems Linux 5.19+ answers EXDEV
        /// unless the file system has its own copy_file_range, and ours have none.
        /// </summary>
        public static long CopyRange(OpenFile input, long* inputOffset, OpenFile output, long* outputOffset, ulong count)
        {
            // generic_file_rw_checks
            VfsNode from = input.Node, to = output.Node;
            if ((from != null && from.IsDirectory) || (to != null && to.IsDirectory)) return -Errno.EISDIR;
            if (from == null || to == null || from.Type != FileTypeBits.Regular || to.Type != FileTypeBits.Regular) return -Errno.EINVAL;
            if (!input.CanRead || !output.CanWrite || (output.Flags & OpenFlags.Append) != 0) return -Errno.EBADF;
            // generic_copy_file_checks
            if (from.FileSystem != to.FileSystem) return -Errno.EXDEV;
            long positionIn = inputOffset != null ? *inputOffset : input.Offset;
            long positionOut = outputOffset != null ? *outputOffset : output.Offset;
            if ((ulong)positionIn + count < (ulong)positionIn || (ulong)positionOut + count < (ulong)positionOut) return -Errno.EOVERFLOW;
            long size = from.Size;
            if (positionIn >= size) count = 0;
            else if (positionIn >= 0 && count > (ulong)(size - positionIn)) count = (ulong)(size - positionIn);
            if (to is RamFileNode)
            {
                if (positionOut >= RamFileNode.MaxLength) return -Errno.EFBIG;
                if (positionOut >= 0 && count > (ulong)(RamFileNode.MaxLength - positionOut)) count = (ulong)(RamFileNode.MaxLength - positionOut);
            }
            if (from == to && positionOut + (long)count > positionIn && positionOut < positionIn + (long)count) return -Errno.EINVAL;   // overlapping ranges
            // rw_verify_area for both sides
            if (positionIn < 0 || positionOut < 0) return -Errno.EINVAL;
            if (count == 0) return 0;
            if (count > (ulong)MaxTransfer) count = (ulong)MaxTransfer;

            long moved = Pump(input, &positionIn, output, &positionOut, (long)count);
            if (moved > 0)
            {
                if (inputOffset != null) *inputOffset = positionIn; else input.Offset = positionIn;
                if (outputOffset != null) *outputOffset = positionOut; else output.Offset = positionOut;
            }
            return moved;
        }

        // Moves up to `count` (> 0) bytes through one heap buffer: read at *inputPosition (or through
        // read), write at *outputPosition (or through write), advancing the positions by what was written.
        // Into a pipe it takes only what fits without waiting (the caller made sure something does).
        private static long Pump(OpenFile input, long* inputPosition, OpenFile output, long* outputPosition, long count)
        {
            long size = count < BufferSize ? count : BufferSize;
            byte* buffer = FileMemory.Allocate((ulong)size);
            if (buffer == null) return -Errno.ENOMEM;
            var pipe = output as PipeEnd;
            long done = 0, error = 0;
            while (done < count)
            {
                long chunk = count - done < size ? count - done : size;
                if (pipe != null)
                {
                    long space = pipe.Pipe.Readers > 0 ? pipe.Pipe.Space : 0;
                    if (space == 0) break;
                    if (chunk > space) chunk = space;
                }
                long read = inputPosition != null ? input.ReadAt(*inputPosition, buffer, chunk) : input.Read(buffer, chunk);
                if (read <= 0) { error = read; break; }
                // Linux finds out that the output cannot take spliced data only once there is some to write.
                if (!output.CanSpliceWrite) { error = -Errno.EINVAL; break; }
                long written = outputPosition != null ? output.WriteAt(*outputPosition, buffer, read) : output.Write(buffer, read);
                if (written <= 0) { error = written; break; }
                if (inputPosition != null) *inputPosition += written;
                if (outputPosition != null) *outputPosition += written;
                done += written;
                if (written < read || read < chunk) break;   // a full output, or the input's end
            }
            FileMemory.Free(buffer);
            return done > 0 ? done : error;
        }
    }
}
