namespace Kernel.Memory
{
    // The process's memory as /proc/<pid>/stat, status and statm report it, from the app's memory areas
    // and the pages its faults committed. Resident is what is mapped now: the committed anonymous pages
    // (RssAnon) plus the app's image, which is loaded whole with the kernel (RssFile). VmPeak is the
    // largest VmSize seen by any reader (the areas are not summed on every mmap).
    internal struct ProcessMemoryFigures
    {
        private static ulong s_peakSizeBytes;

        public ulong SizeBytes, PeakSizeBytes;
        public ulong AnonymousResidentBytes, PeakAnonymousResidentBytes, ImageBytes;
        public ulong DataBytes, StackBytes, ExecutableBytes;
        public ulong CodeStart, CodeEnd, DataStart, DataEnd;

        public ulong ResidentBytes => AnonymousResidentBytes + ImageBytes;
        public ulong PeakResidentBytes => PeakAnonymousResidentBytes + ImageBytes;

        public static ProcessMemoryFigures Now()
        {
            ProcessMemoryFigures f = default;
            for (int i = 0; i < UserAddressSpace.AreaCount; i++)
            {
                MemoryArea area = UserAddressSpace.Area(i);
                ulong size = area.End - area.Start;
                f.SizeBytes += size;
                bool writable = (area.Protection & MemoryArea.ProtWrite) != 0;
                if (area.Kind == MemoryAreaKind.Stack) f.StackBytes += size;
                else if (writable) f.DataBytes += size;     // Linux's VmData: private, writable, not stack
                if (area.Kind != MemoryAreaKind.Image) continue;
                f.ImageBytes += size;
                if ((area.Protection & MemoryArea.ProtExec) != 0)
                {
                    f.ExecutableBytes += size;
                    if (f.CodeStart == 0) f.CodeStart = area.Start;
                    f.CodeEnd = area.End;
                }
                else if (writable)
                {
                    if (f.DataStart == 0) f.DataStart = area.Start;
                    f.DataEnd = area.End;
                }
            }
            if (f.SizeBytes > s_peakSizeBytes) s_peakSizeBytes = f.SizeBytes;
            f.PeakSizeBytes = s_peakSizeBytes;
            f.AnonymousResidentBytes = UserAddressSpace.CommittedPages * UserAddressSpace.PageSize;
            f.PeakAnonymousResidentBytes = UserAddressSpace.PeakCommittedPages * UserAddressSpace.PageSize;
            return f;
        }
    }
}
