using Kernel.LinuxAbi;

namespace Kernel.Files.Events
{
    // One end of a pipe, as an open file description (pipe2 makes one of each).
    internal sealed unsafe class PipeEnd : OpenFile
    {
        public readonly Pipe Pipe;
        public readonly bool IsReadEnd;

        public PipeEnd(Pipe pipe, bool isReadEnd, int flags) : base(null, flags)
        {
            Pipe = pipe;
            IsReadEnd = isReadEnd;
        }

        public override long Read(byte* buffer, long count) => Pipe.Read(buffer, count, IsNonBlocking);
        public override long Write(byte* buffer, long count) => Pipe.Write(buffer, count, IsNonBlocking);
        public override bool SupportsEpoll => true;
        public override bool CanSpliceWrite => true;   // sendfile into a pipe; out of one is EINVAL, as on Linux
        public override long BytesReadable() => IsReadEnd ? Pipe.Count : 0;

        public override uint Poll()
        {
            if (IsReadEnd)
                return (Pipe.Count > 0 ? PollBits.Readable : 0) | (Pipe.Writers == 0 ? PollBits.HangUp : 0);
            return (Pipe.Space > 0 ? PollBits.Writable : 0) | (Pipe.Readers == 0 ? PollBits.Error : 0);
        }

        public override void Stat(LinuxStat* st) => LinuxStat.Anonymous(st, FileTypeBits.Fifo | 0x180, Pipe.Inode);   // prw-------

        protected override void Close() => Pipe.CloseEnd(IsReadEnd);
    }
}
