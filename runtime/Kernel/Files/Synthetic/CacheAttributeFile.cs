namespace Kernel.Files.Synthetic
{
    // One attribute of /sys/devices/system/cpu/cpu0/cache/indexN, from CpuCaches, in sysfs' format
    // ("32K\n", "1\n", "Data\n", "64\n").
    internal sealed class CacheAttributeFile : ContentGenerator
    {
        public const int Size = 0, Level = 1, Type = 2, LineSize = 3, Ways = 4, Sets = 5, SharedCpus = 6;

        private readonly int _index;
        private readonly int _attribute;

        public CacheAttributeFile(int index, int attribute)
        {
            _index = index;
            _attribute = attribute;
        }

        public override void Generate(TextBuilder o)
        {
            CpuCaches.Cache cache = CpuCaches.Get(_index);
            switch (_attribute)
            {
                case Size: o.AppendDecimal(cache.SizeBytes >> 10).Append("K\n"); break;
                case Level: o.AppendDecimal((ulong)cache.Level).Append('\n'); break;
                case Type: o.Append(CpuCaches.TypeName(cache.Type)).Append('\n'); break;
                case LineSize: o.AppendDecimal(cache.LineSize).Append('\n'); break;
                case Ways: o.AppendDecimal(cache.Ways).Append('\n'); break;
                case Sets: o.AppendDecimal(cache.Sets).Append('\n'); break;
                default: o.Append("0\n"); break;
            }
        }
    }
}
