namespace Unikernel.Boot;

/// <summary>
/// GDT, TSS and IDT formats (Intel SDM vol. 3, ch. 3 and 7). The selector order is fixed by
/// <c>syscall</c>/<c>sysret</c>: STAR expects kernel data right after kernel code, and user data right
/// before user code.
/// </summary>
public static class DescriptorTables
{
    public const ushort KernelCodeSelector = 0x08;
    public const ushort KernelDataSelector = 0x10;
    public const ushort UserDataSelector = 0x18;
    public const ushort UserCodeSelector = 0x20;
    public const ushort TssSelector = 0x28;

    /// <summary>GDT contents; the TSS descriptor (two slots) is all zero here and filled at run time,
    /// because its base address is split over four fields that no relocation type can express.</summary>
    public static readonly ulong[] InitialGdt =
    {
        0,
        0x00AF_9A00_0000_FFFF, // kernel code: L=1, P=1, DPL 0, execute/read
        0x00CF_9200_0000_FFFF, // kernel data: P=1, DPL 0, read/write, 4 GiB
        0x00CF_F200_0000_FFFF, // user data: DPL 3
        0x00AF_FA00_0000_FFFF, // user code 64: DPL 3
        0, 0,                  // TSS, 16 bytes
    };

    public const int GdtSize = 7 * 8;

    // 64-bit TSS field offsets.
    public const int TssRsp0 = 4;
    public const int TssIst1 = 36;
    public const int TssIst2 = 44;
    public const int TssIst3 = 52;
    public const int TssIoMapBase = 102;
    public const int TssSize = 104;
    /// <summary>System-segment type "available 64-bit TSS", present, DPL 0.</summary>
    public const byte TssDescriptorAccess = 0x89;

    public const int IdtVectors = 256;
    public const int IdtGateSize = 16;
    public const int IdtSize = IdtVectors * IdtGateSize;
    /// <summary>Interrupt gate (interrupts stay disabled in the handler), present, DPL 0.</summary>
    public const byte InterruptGateAccess = 0x8E;
    /// <summary>Byte offset, inside a gate, of the 3-bit IST index.</summary>
    public const int GateIstByte = 4;
    /// <summary>Byte offset, inside a gate, of its access byte (type, DPL, present).</summary>
    public const int GateAccessByte = 5;
    /// <summary>As <see cref="InterruptGateAccess"/> with DPL 3: `int n` from ring 3 may use the gate.</summary>
    public const byte UserInterruptGateAccess = 0xEE;

    public const int BreakpointVector = 3;

    /// <summary>
    /// Vectors ring 3 may raise with `int n` (any other `int n` from the app is a #GP, as on Linux):
    /// int3, so that an app's breakpoint is a SIGTRAP and not a SIGSEGV.
    /// </summary>
    public static readonly int[] UserCallableVectors = { BreakpointVector };

    public const int DoubleFaultVector = 8;
    public const int NmiVector = 2;
    public const int MachineCheckVector = 18;

    /// <summary>IST slot per vector: the faults that can hit with a broken stack get a known-good one.</summary>
    public static readonly (int Vector, int Ist)[] IstAssignments =
    {
        (DoubleFaultVector, 1),
        (NmiVector, 2),
        (MachineCheckVector, 3),
    };

    /// <summary>Vectors for which the CPU pushes an error code itself.</summary>
    public static readonly int[] ErrorCodeVectors = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };

    public static bool CpuPushesErrorCode(int vector) => Array.IndexOf(ErrorCodeVectors, vector) >= 0;
}
