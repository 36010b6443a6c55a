using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Devices.Virtio
{
    // A split virtqueue (virtio 1.1, 2.6): a descriptor table the driver fills, the available ring where it
    // offers descriptor chains, and the used ring where the device returns them with the bytes it wrote.
    // A buffer here is one descriptor (the network driver keeps header and frame contiguous) or a request of
    // two (virtio-blk's command, then its data and status), so the free descriptors are a simple stack and a
    // chain is its head. The three parts live in whole zeroed
    // pages from the page allocator: the kernel is identity mapped, so their addresses are what the device
    // is given. Each buffer carries a caller's token (the packet it belongs to) back out of the used ring.
    //
    // Ordering: x86 keeps stores in order, and the ring indexes are written and read through volatile
    // fields, so a descriptor is complete before the available index that publishes it, and a used entry
    // is read only after the used index that announced it. Where a store must be seen before a later load
    // (publish the available index, then read whether the device wants to hear about it; ask for an
    // interrupt, then look once more for used buffers) a full fence sits between them.
    //
    // Fewer exits both ways (2.6.7, 2.6.8): a notification costs a trap into the VMM and an interrupt a trip
    // through the interrupt controller, so each side says when it wants the next one. With VIRTIO_F_EVENT_IDX
    // the driver notifies only when the device's avail_event lies among the buffers added since the last
    // notification, and it writes used_event to the used index it wants an interrupt at; without it, the
    // device's NO_NOTIFY flag and the driver's NO_INTERRUPT flag say the same coarser thing.
    internal sealed unsafe class Virtqueue
    {
        public const ushort DescriptorNext = 1, DescriptorDeviceWrites = 2;
        /// <summary>VIRTIO_F_EVENT_IDX (bit 29): the used_event / avail_event fields of 2.6.7-2.6.8.</summary>
        public const ulong FeatureEventIndex = 1UL << 29;
        private const ushort UsedNoNotify = 1, AvailableNoInterrupt = 1;

        private struct Descriptor
        {
            public ulong Address;
            public uint Length;
            public ushort Flags;
            public ushort Next;
        }

        private struct RingIndex { public volatile ushort Value; }

        private struct UsedElement
        {
            public uint Id;
            public uint Length;
        }

        public readonly int Index;
        public readonly int Size;
        private readonly VirtioTransport _transport;
        private readonly Descriptor* _descriptors;
        private readonly ushort* _available;      // flags, idx, ring[Size], used_event
        private readonly ushort* _used;           // flags, idx, then UsedElement[Size], avail_event
        private readonly ulong _pages;
        private readonly ulong _pageCount;
        private readonly ushort* _freeStack;
        private readonly object[] _tokens;
        private int _freeCount;
        private ushort _availableIndex;
        private ushort _lastUsed;
        private readonly bool _eventIndex;
        private bool _interruptsWanted = true;
        // The available index when the device was last notified: avail_event is compared against the buffers since.
        private ushort _notifiedIndex;

        /// <summary>Notifications sent and skipped because the device said it did not need them (for counters).</summary>
        public ulong Notifications, NotificationsSuppressed;

        private Virtqueue(VirtioTransport transport, int index, int size, ulong pages, ulong pageCount, bool eventIndex)
        {
            _eventIndex = eventIndex;
            _transport = transport;
            Index = index;
            Size = size;
            _pages = pages;
            _pageCount = pageCount;
            ulong descriptorBytes = (ulong)size * 16;
            ulong availableBytes = 6 + 2 * (ulong)size;
            _descriptors = (Descriptor*)pages;
            _available = (ushort*)(pages + descriptorBytes);
            _used = (ushort*)(pages + Align(descriptorBytes + availableBytes, 4096));
            _freeStack = (ushort*)KernelMemory.AllocateZeroed((nuint)(2 * size));
            _tokens = new object[size];
            for (int i = 0; i < size; i++) _freeStack[i] = (ushort)(size - 1 - i);
            _freeCount = size;
        }

        /// <summary>
        /// Sets up queue <paramref name="index"/> with at most <paramref name="wantedSize"/> entries; null if the device has no
        /// such queue or memory ran out. <paramref name="features"/>: what was negotiated (VIRTIO_F_EVENT_IDX matters here).
        /// </summary>
        public static Virtqueue Create(VirtioTransport transport, int index, int wantedSize, ulong features)
        {
            int maximum = transport.QueueMaximumSize(index);
            if (maximum == 0) return null;
            int size = wantedSize < maximum ? wantedSize : maximum;
            // Split queues need a power of two (the ring indexes wrap at 2^16).
            int pow = 1;
            while (pow * 2 <= size) pow *= 2;
            size = pow;
            ulong bytes = Align((ulong)size * 16 + 6 + 2 * (ulong)size, 4096) + Align(6 + 8 * (ulong)size, 4096);
            ulong pageCount = bytes / 4096;
            ulong pages = KernelMemory.Pages->AllocateZeroedPages(pageCount);
            if (pages == 0) return null;
            var queue = new Virtqueue(transport, index, size, pages, pageCount, (features & FeatureEventIndex) != 0);
            // The device sees physical memory; the kernel's pointers are direct-map addresses.
            transport.EnableQueue(index, size, MemoryLayout.ToPhysical(pages), MemoryLayout.ToPhysical((ulong)queue._available), MemoryLayout.ToPhysical((ulong)queue._used));
            return queue;
        }

        public int FreeDescriptors => _freeCount;

        /// <summary>
        /// Offers one buffer (device-readable, or device-writable for receive buffers) at a kernel (direct-map) address;
        /// false when the ring is full. The device sees it after <see cref="Kick"/>.
        /// </summary>
        public bool Add(ulong address, uint length, bool deviceWrites, object token)
        {
            if (_freeCount == 0) return false;
            ushort id = _freeStack[--_freeCount];
            Descriptor* d = &_descriptors[id];
            d->Address = MemoryLayout.ToPhysical(address);
            d->Length = length;
            d->Flags = deviceWrites ? DescriptorDeviceWrites : (ushort)0;
            d->Next = 0;
            _tokens[id] = token;
            _available[2 + (_availableIndex % Size)] = id;
            _availableIndex++;
            ((RingIndex*)&_available[1])->Value = _availableIndex;
            return true;
        }

        /// <summary>
        /// Offers a request of two buffers chained: one the device reads (a command), then one it writes (the reply), as
        /// virtio-blk takes them; false when fewer than two descriptors are free. The device sees it after <see cref="Kick"/>.
        /// </summary>
        public bool AddRequest(ulong readAddress, uint readLength, ulong writeAddress, uint writeLength, object token)
        {
            if (_freeCount < 2) return false;
            ushort head = _freeStack[--_freeCount];
            ushort tail = _freeStack[--_freeCount];
            Descriptor* d = &_descriptors[head];
            d->Address = MemoryLayout.ToPhysical(readAddress);
            d->Length = readLength;
            d->Flags = DescriptorNext;
            d->Next = tail;
            d = &_descriptors[tail];
            d->Address = MemoryLayout.ToPhysical(writeAddress);
            d->Length = writeLength;
            d->Flags = DescriptorDeviceWrites;
            d->Next = 0;
            _tokens[head] = token;
            _available[2 + (_availableIndex % Size)] = head;
            _availableIndex++;
            ((RingIndex*)&_available[1])->Value = _availableIndex;
            return true;
        }

        /// <summary>Tells the device there are new buffers, unless it said it does not need to hear about them.</summary>
        public void Kick()
        {
            if (_notifiedIndex == _availableIndex) return;
            Cpu.MemoryFence();   // the available index out before the device's wish is read
            bool notify;
            if (_eventIndex)
            {
                ushort availableEvent = ((RingIndex*)((byte*)_used + 4 + 8 * Size))->Value;
                notify = (ushort)(_availableIndex - availableEvent - 1) < (ushort)(_availableIndex - _notifiedIndex);
            }
            else notify = (((RingIndex*)&_used[0])->Value & UsedNoNotify) == 0;
            _notifiedIndex = _availableIndex;
            if (!notify) { NotificationsSuppressed++; return; }
            Notifications++;
            _transport.Notify(Index);
        }

        /// <summary>
        /// Asks for an interrupt when the device next uses a buffer; false if some are used already (then the caller
        /// takes them instead of waiting: the interrupt for them may have been asked for too late).
        /// </summary>
        public bool EnableInterrupts()
        {
            _interruptsWanted = true;
            if (_eventIndex) ((RingIndex*)&_available[2 + Size])->Value = _lastUsed;
            else ((RingIndex*)&_available[0])->Value = 0;
            Cpu.MemoryFence();   // the wish out before the used index is read again
            return !HasUsed;
        }

        /// <summary>
        /// Asks the device not to interrupt for this queue (a hint: it may still). With event indexes the wish is the
        /// last used index already taken, refreshed as buffers are taken so the 16-bit index never wraps onto it.
        /// </summary>
        public void DisableInterrupts()
        {
            _interruptsWanted = false;
            if (_eventIndex) ((RingIndex*)&_available[2 + Size])->Value = (ushort)(_lastUsed - 1);
            else ((RingIndex*)&_available[0])->Value = AvailableNoInterrupt;
        }

        /// <summary>The next buffer the device is done with: its token and the bytes it wrote; false when none.</summary>
        public bool TakeUsed(out object token, out uint length)
        {
            ushort usedIndex = ((RingIndex*)&_used[1])->Value;
            if (usedIndex == _lastUsed)
            {
                token = null;
                length = 0;
                return false;
            }
            UsedElement* element = (UsedElement*)(_used + 2) + (_lastUsed % Size);
            uint id = element->Id;
            length = element->Length;
            _lastUsed++;
            // Keep used_event next to what was taken: the next buffer interrupts (wanted), or none does for 2^16 buffers.
            if (_eventIndex) ((RingIndex*)&_available[2 + Size])->Value = _interruptsWanted ? _lastUsed : (ushort)(_lastUsed - 1);
            token = _tokens[id];
            _tokens[id] = null;
            // A chain's descriptors all come free (AddRequest's); a single buffer is a chain of one.
            for (int guard = 0; guard < Size; guard++)
            {
                _freeStack[_freeCount++] = (ushort)id;
                if ((_descriptors[id].Flags & DescriptorNext) == 0) break;
                id = _descriptors[id].Next;
            }
            return true;
        }

        /// <summary>Does the used ring hold buffers not taken yet?</summary>
        public bool HasUsed => ((RingIndex*)&_used[1])->Value != _lastUsed;

        private static ulong Align(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
    }
}
