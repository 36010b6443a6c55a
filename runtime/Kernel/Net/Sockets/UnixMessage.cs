using Kernel.Files;
using Kernel.Platform;

namespace Kernel.Net.Sockets
{
    // One send as it waits in the receiver's queue: the bytes (a stream reads across messages, a datagram or
    // seqpacket read takes one), the sender's name at the time (recvfrom's source), the descriptions passed
    // with SCM_RIGHTS (a reference each, until received or dropped) and the sender's credentials. Its bytes
    // count against the sender's SO_SNDBUF until read, as Linux charges them to the sender.
    internal sealed unsafe class UnixMessage
    {
        public byte* Data;
        public int Length;
        public int Consumed;           // a stream's bytes already read
        public UnixSocketFile Sender;  // whose send buffer it fills; null once the sender closed
        public UnixAddress Source;
        public OpenFile[] Rights;      // null without SCM_RIGHTS
        public int ProcessId, UserId, GroupId;
        public UnixMessage Next;

        public int Remaining => Length - Consumed;

        /// <summary>A message holding a copy of (<paramref name="data"/>, <paramref name="length"/>), or null when memory ran out.</summary>
        public static UnixMessage Create(byte* data, int length)
        {
            var message = new UnixMessage();
            if (length > 0)
            {
                message.Data = FileMemory.Allocate((ulong)length);
                if (message.Data == null)
                {
                    FileMemory.Release(message);
                    return null;
                }
                System.Buffer.MemoryCopy(data, message.Data, length, length);
            }
            message.Length = length;
            return message;
        }

        /// <summary>Frees the message and drops the descriptions nobody received.</summary>
        public void Free()
        {
            if (Rights != null)
            {
                for (int i = 0; i < Rights.Length; i++) if (Rights[i] != null) Rights[i].Release();
                FileMemory.Release(Rights);
            }
            if (Data != null) FileMemory.Free(Data);
            FileMemory.Release(this);
        }
    }
}
