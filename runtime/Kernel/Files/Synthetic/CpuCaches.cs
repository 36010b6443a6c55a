using Kernel.Arch;

namespace Kernel.Files.Synthetic
{
    // The CPU's caches as /sys/devices/system/cpu/cpu0/cache/indexN describes them, read from CPUID:
    // leaf 4 (deterministic cache parameters, Intel and QEMU), else AMD's leaf 0x8000001D (with
    // TOPOEXT), else AMD's legacy leaves 0x80000005/6 (sizes and line sizes only). The GC sizes its
    // generation 0 budget from the largest of them.
    internal static unsafe class CpuCaches
    {
        public const int MaxCaches = 8;
        public const int TypeData = 1, TypeInstruction = 2, TypeUnified = 3;

        public struct Cache
        {
            public int Level;
            public int Type;
            public ulong SizeBytes;
            public uint LineSize;
            public uint Ways;          // 0 when the CPU does not say
            public uint Sets;          // 0 when the CPU does not say
        }

        private struct Table { public fixed byte Bytes[MaxCaches * 32]; }
        private static Table s_table;
        private static int s_count = -1;

        public static int Count
        {
            get
            {
                if (s_count < 0) Read();
                return s_count;
            }
        }

        public static Cache Get(int index)
        {
            if (s_count < 0) Read();
            fixed (Table* t = &s_table) return ((Cache*)t->Bytes)[index];
        }

        public static string TypeName(int type) =>
            type == TypeData ? "Data" : type == TypeInstruction ? "Instruction" : "Unified";

        private static void Read()
        {
            s_count = 0;
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0, 0, r);
            uint maxBasic = r[0];
            if (maxBasic >= 4) ReadDeterministic(4);
            if (s_count > 0) return;

            Cpu.CpuId(0x80000000, 0, r);
            uint maxExtended = r[0];
            if (maxExtended >= 0x8000001D)
            {
                Cpu.CpuId(0x80000001, 0, r);
                if ((r[2] & (1u << 22)) != 0) ReadDeterministic(0x8000001D);   // TOPOEXT
                if (s_count > 0) return;
            }
            if (maxExtended >= 0x80000005)
            {
                Cpu.CpuId(0x80000005, 0, r);
                AddLegacy(1, TypeData, (ulong)(r[2] >> 24) << 10, r[2] & 0xFF, (r[2] >> 16) & 0xFF);
                AddLegacy(1, TypeInstruction, (ulong)(r[3] >> 24) << 10, r[3] & 0xFF, (r[3] >> 16) & 0xFF);
            }
            if (maxExtended >= 0x80000006)
            {
                Cpu.CpuId(0x80000006, 0, r);
                AddLegacy(2, TypeUnified, (ulong)(r[2] >> 16) << 10, r[2] & 0xFF, 0);
                AddLegacy(3, TypeUnified, (ulong)(r[3] >> 18) << 19, r[3] & 0xFF, 0);
            }
        }

        private static void ReadDeterministic(uint leaf)
        {
            uint* r = stackalloc uint[4];
            for (uint sub = 0; sub < 16 && s_count < MaxCaches; sub++)
            {
                Cpu.CpuId(leaf, sub, r);
                int type = (int)(r[0] & 0x1F);
                if (type == 0) break;
                var cache = new Cache
                {
                    Type = type > 3 ? TypeUnified : type,
                    Level = (int)((r[0] >> 5) & 7),
                    LineSize = (r[1] & 0xFFF) + 1,
                    Ways = ((r[1] >> 22) & 0x3FF) + 1,
                    Sets = r[2] + 1,
                };
                uint partitions = ((r[1] >> 12) & 0x3FF) + 1;
                cache.SizeBytes = (ulong)cache.LineSize * partitions * cache.Ways * cache.Sets;
                Add(cache);
            }
        }

        private static void AddLegacy(int level, int type, ulong size, uint lineSize, uint ways)
        {
            if (size == 0) return;
            Add(new Cache { Level = level, Type = type, SizeBytes = size, LineSize = lineSize, Ways = ways == 0xFF ? 0 : ways });
        }

        private static void Add(Cache cache)
        {
            fixed (Table* t = &s_table) ((Cache*)t->Bytes)[s_count++] = cache;
        }
    }
}
