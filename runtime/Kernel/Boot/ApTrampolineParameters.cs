using System.Runtime.InteropServices;

namespace Kernel.Boot
{
    /// <summary>
    /// The fields of the AP trampoline's parameters block (boot/Unikernel.Boot/ApTrampoline.cs, docs/boot-abi.md) that
    /// the kernel writes before it starts an AP, at the trampoline's DataOffset in the low page. The trampoline's own
    /// fields (its GDT, GDT pointer and far pointer) come first and are not the kernel's business. A boot test holds
    /// these offsets to ApTrampoline's.
    /// </summary>
    [StructLayout(LayoutKind.Explicit)]
    internal struct ApTrampolineParameters
    {
        /// <summary>Where the block starts inside the trampoline's page.</summary>
        public const int DataOffset = 0x100;

        [FieldOffset(0x30)] public ulong Cr3;
        [FieldOffset(0x38)] public ulong Cr4;
        [FieldOffset(0x40)] public ulong Cr0;
        [FieldOffset(0x48)] public ulong Efer;
        [FieldOffset(0x50)] public ulong Xcr0;
        /// <summary>A 10-byte lgdt operand: the limit, then the base.</summary>
        [FieldOffset(0x58)] public ushort FinalGdtPointer;
        [FieldOffset(0x5A)] public ulong FinalGdtBase;
        /// <summary>A 10-byte lidt operand (sidt writes it).</summary>
        [FieldOffset(0x68)] public ushort FinalIdtPointer;
        [FieldOffset(0x78)] public ulong StackTop;
        [FieldOffset(0x80)] public ulong LongModeEntry;
        [FieldOffset(0x88)] public ulong Argument;
    }
}
