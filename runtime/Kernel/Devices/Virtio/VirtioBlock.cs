using Kernel.Arch;
using Kernel.Console;
using Kernel.Files.ConfigDrive;
using Kernel.Memory;
using Kernel.Time;

namespace Kernel.Devices.Virtio
{
    // The virtio block device (virtio 1.1, 5.2), read-only, on either transport: what the kernel reads disks for is a
    // config drive at boot (Files/ConfigDrive), a few small reads, so requests go one at a time through request queue 0
    // and are polled to completion -- no interrupt, no queue of requests. A request is two descriptors (AddRequest): the
    // 16-byte header the device reads (type IN, the sector), then one buffer the device writes, the data followed by the
    // status byte (virtio 1.x devices take any layout, 2.6.4). Reads go through a bounce buffer of whole pages: the
    // chunk last read stays there, so the volume readers' many small reads of one FAT sector or directory block cost
    // one request. Sectors are 512 bytes whatever the device's block size (5.2.6: `sector` counts 512-byte units).
    // Features asked for: none but VERSION_1; VIRTIO_BLK_F_RO is accepted (nothing is ever written).
    // Probe starts every virtio-blk device at boot and reports each in one line ("uk: disk: vda 360 KiB, virtio-pci
    // 00:03.0"); the disks are then ReadOnlyDisks for the config drive source.
    internal sealed unsafe class VirtioBlock : ReadOnlyDisk
    {
        public const int MaxDisks = 8;
        private const ulong FeatureReadOnly = 1UL << 5;
        private const uint RequestIn = 0;
        private const byte StatusOk = 0;
        private const int SectorSize = 512;
        private const int ChunkBytes = 64 * 1024;                   // the bounce buffer: data pages after the header's page
        private const ulong RequestTimeoutNanoseconds = 5_000_000_000;

        private static VirtioBlock[] s_disks;
        private static int s_count;

        private readonly VirtioTransport _transport;
        private Virtqueue _queue;
        private ulong _sectors;
        private bool _readOnly;
        private bool _broken;
        private readonly int _index;
        // The header at _pages, the data at _pages + 4096, the status byte right after the data.
        private ulong _pages;
        // What the bounce buffer holds: ChunkBytes from _cachedOffset (the disk's bytes), when _cached.
        private ulong _cachedOffset;
        private int _cachedLength;
        private bool _cached;

        private VirtioBlock(VirtioTransport transport, int index)
        {
            _transport = transport;
            _index = index;
        }

        public static int Count => s_count;
        public static VirtioBlock Get(int i) => s_disks[i];

        /// <summary>Writes the disk's name, "vda", "vdb", ... as Linux names them, in the order they were found.</summary>
        public void WriteName()
        {
            KernelConsole.Write("vd");
            KernelConsole.Write((char)('a' + _index));
        }

        public override ulong Size => _sectors * SectorSize;

        /// <summary>Starts every virtio-blk device (up to MaxDisks) and reports each in one line.</summary>
        public static void Probe()
        {
            s_disks = new VirtioBlock[MaxDisks];
            for (int found = 0; s_count < MaxDisks; found++)
            {
                VirtioTransport transport = VirtioDiscovery.Find(VirtioConstants.DeviceBlock, found);
                if (transport == null) break;
                var disk = new VirtioBlock(transport, s_count);
                string problem = disk.Start();
                disk.Report(problem);
                if (problem == null) s_disks[s_count++] = disk;
            }
        }

        private string Start()
        {
            string problem;
            ulong features = _transport.Negotiate(FeatureReadOnly, out problem);
            if (problem != null) return problem;
            _readOnly = (features & FeatureReadOnly) != 0;
            _queue = Virtqueue.Create(_transport, 0, 4, features);
            _pages = KernelMemory.Pages->AllocateZeroedPages(1 + ChunkBytes / 4096 + 1);
            if (_queue == null || _pages == 0)
            {
                _transport.Fail();
                return "cannot set up the request queue";
            }
            _queue.DisableInterrupts();
            // capacity: a 64-bit count of 512-byte sectors at the start of the configuration space.
            for (int i = 7; i >= 0; i--) _sectors = (_sectors << 8) | _transport.ReadConfig8(i);
            _transport.Start();
            return null;
        }

        public override bool Read(ulong offset, byte* destination, int length)
        {
            if (length < 0 || offset > Size || (ulong)length > Size - offset) return false;
            while (length > 0)
            {
                if (!_cached || offset < _cachedOffset || offset >= _cachedOffset + (ulong)_cachedLength)
                {
                    ulong chunkStart = offset / ChunkBytes * ChunkBytes;
                    ulong chunkLength = Size - chunkStart < ChunkBytes ? Size - chunkStart : ChunkBytes;
                    if (!ReadSectors(chunkStart / SectorSize, (int)((chunkLength + SectorSize - 1) / SectorSize))) return false;
                    _cachedOffset = chunkStart;
                    _cachedLength = (int)chunkLength;
                    _cached = true;
                }
                ulong inChunk = offset - _cachedOffset;
                int piece = _cachedLength - (int)inChunk;
                if (piece > length) piece = length;
                byte* data = (byte*)_pages + 4096 + inChunk;
                for (int i = 0; i < piece; i++) destination[i] = data[i];
                destination += piece;
                offset += (ulong)piece;
                length -= piece;
            }
            return true;
        }

        // One IN request into the bounce buffer, polled until the device returns it.
        private bool ReadSectors(ulong sector, int count)
        {
            if (_broken) return false;
            _cached = false;
            byte* header = (byte*)_pages;
            *(uint*)header = RequestIn;
            *(uint*)(header + 4) = 0;
            *(ulong*)(header + 8) = sector;
            int bytes = count * SectorSize;
            byte* status = header + 4096 + bytes;
            *status = 0xFF;
            if (!_queue.AddRequest(_pages, 16, _pages + 4096, (uint)(bytes + 1), this)) return false;
            _queue.Kick();
            ulong deadline = Clock.MonotonicNanoseconds + RequestTimeoutNanoseconds;
            object token;
            uint written;
            while (!_queue.TakeUsed(out token, out written))
            {
                if (Clock.MonotonicNanoseconds > deadline)
                {
                    _broken = true;   // the request is still the device's: the buffer must not be used again
                    Problem("a read did not complete within 5 s; the disk is not read again");
                    return false;
                }
                Cpu.Pause();
            }
            _transport.TakeInterruptStatus();
            if (*status != StatusOk)
            {
                Problem(*status == 1 ? "the device reported an I/O error" : "the device does not support reads");
                return false;
            }
            return true;
        }

        private void Report(string problem)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("disk: ");
            if (problem != null)
            {
                KernelConsole.Write("a virtio-blk device (virtio-");
                KernelConsole.Write(_transport.Kind);
                KernelConsole.Write(") cannot be used: ");
                KernelConsole.WriteLine(problem);
                return;
            }
            WriteName();
            KernelConsole.Write(" ");
            WriteCapacity(Size);
            KernelConsole.Write(", virtio-");
            KernelConsole.Write(_transport.Kind);
            KernelConsole.Write(" ");
            WriteLocation();
            KernelConsole.WriteLine(_readOnly ? ", read-only" : "");
        }

        // "00:03.0" for PCI (bus:slot.function), the register window's address for mmio.
        private void WriteLocation()
        {
            ulong location = _transport.Location;
            if (_transport.Kind == "pci")
            {
                WriteHexDigit(location >> 12);
                WriteHexDigit(location >> 8);
                KernelConsole.Write(':');
                WriteHexDigit(((location >> 3) & 0x1F) >> 4);
                WriteHexDigit((location >> 3) & 0x1F);
                KernelConsole.Write('.');
                WriteHexDigit(location & 7);
            }
            else KernelConsole.WriteHex(location);
        }

        private static void WriteHexDigit(ulong value)
        {
            uint d = (uint)(value & 0xF);
            KernelConsole.Write((char)(d < 10 ? '0' + d : 'a' + d - 10));
        }

        // The largest unit the size is at least one of, rounded down: "360 KiB", "128 MiB", "20 GiB".
        private static void WriteCapacity(ulong bytes)
        {
            if (bytes >= 1UL << 30) { KernelConsole.WriteDecimal(bytes >> 30); KernelConsole.Write(" GiB"); }
            else if (bytes >= 1UL << 20) { KernelConsole.WriteDecimal(bytes >> 20); KernelConsole.Write(" MiB"); }
            else if (bytes >= 1UL << 10) { KernelConsole.WriteDecimal(bytes >> 10); KernelConsole.Write(" KiB"); }
            else { KernelConsole.WriteDecimal(bytes); KernelConsole.Write(" bytes"); }
        }

        private void Problem(string text)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("disk: ");
            WriteName();
            KernelConsole.Write(": ");
            KernelConsole.WriteLine(text);
        }
    }
}
