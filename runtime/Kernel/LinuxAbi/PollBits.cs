namespace Kernel.LinuxAbi
{
    // Readiness bits shared by poll(2) (short revents) and epoll (uint events): the same values.
    internal static class PollBits
    {
        public const uint In = 0x1, Priority = 0x2, Out = 0x4, Error = 0x8, HangUp = 0x10, Invalid = 0x20;
        public const uint ReadNormal = 0x40, ReadBand = 0x80, WriteNormal = 0x100, WriteBand = 0x200;
        public const uint ReadHangUp = 0x2000;

        // epoll-only flags in epoll_event.events.
        public const uint EpollExclusive = 1u << 28, EpollWakeUp = 1u << 29, EpollOneShot = 1u << 30, EpollEdgeTriggered = 1u << 31;

        public const uint Readable = In | ReadNormal;
        public const uint Writable = Out | WriteNormal;
        // Reported whether asked for or not.
        public const uint AlwaysReported = Error | HangUp | Invalid;
    }
}
