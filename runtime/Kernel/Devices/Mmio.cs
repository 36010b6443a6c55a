using System.Runtime.CompilerServices;

namespace Kernel.Devices
{
    // Device registers in memory space, named by their physical addresses and reached through the kernel's
    // direct map. Every access goes through a volatile field so the compiler neither drops, merges nor
    // reorders it (x86 keeps the order of uncached and write-back accesses alike; QEMU TCG ignores the cache
    // attributes of the direct map, and KVM traps the pages anyway). The accessors are
    // never inlined: inlined, ILC narrows `(byte)Read32(r)` to a one-byte load, and devices (QEMU's
    // virtio-mmio among them) ignore accesses of the wrong width.
    internal static unsafe class Mmio
    {
        private struct Register8 { public volatile byte Value; }
        private struct Register16 { public volatile ushort Value; }
        private struct Register32 { public volatile uint Value; }

        [MethodImpl(MethodImplOptions.NoInlining)] public static byte Read8(ulong address) => ((Register8*)Memory.MemoryLayout.ToDirectMap(address))->Value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static ushort Read16(ulong address) => ((Register16*)Memory.MemoryLayout.ToDirectMap(address))->Value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static uint Read32(ulong address) => ((Register32*)Memory.MemoryLayout.ToDirectMap(address))->Value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static void Write8(ulong address, byte value) => ((Register8*)Memory.MemoryLayout.ToDirectMap(address))->Value = value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static void Write16(ulong address, ushort value) => ((Register16*)Memory.MemoryLayout.ToDirectMap(address))->Value = value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static void Write32(ulong address, uint value) => ((Register32*)Memory.MemoryLayout.ToDirectMap(address))->Value = value;
        [MethodImpl(MethodImplOptions.NoInlining)] public static void Write64(ulong address, ulong value)
        {
            Write32(address, (uint)value);
            Write32(address + 4, (uint)(value >> 32));
        }
    }
}
