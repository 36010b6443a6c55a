using Kernel.Files;
using Kernel.Platform;

namespace Kernel.Net.Sockets
{
    // What a receive on a Unix socket hands back besides the bytes: the sender's name (recvfrom's source), its
    // credentials (SCM_CREDENTIALS), whether a datagram was cut short (MSG_TRUNC) and the descriptions passed
    // with SCM_RIGHTS, which the caller now owns: installed as descriptors, or dropped.
    internal struct UnixReceived
    {
        public UnixAddress Source;
        public int ProcessId;
        public bool Truncated;
        public OpenFile[] Rights;

        /// <summary>Releases the descriptions nobody will install (a read(), or no room for them in msg_control).</summary>
        public void DropRights()
        {
            if (Rights == null) return;
            for (int i = 0; i < Rights.Length; i++) if (Rights[i] != null) Rights[i].Release();
            FileMemory.Release(Rights);
            Rights = null;
        }
    }
}
