namespace Unikernel.Boot;

/// <summary>Architectural bits the boot path sets (Intel SDM vol. 3, ch. 2).</summary>
public static class ControlRegisters
{
    public const uint Cr0MonitorCoprocessor = 1u << 1;
    public const uint Cr0Emulation = 1u << 2;
    public const uint Cr0TaskSwitched = 1u << 3;
    public const uint Cr0WriteProtect = 1u << 16;
    public const uint Cr0Paging = 1u << 31;

    public const uint Cr4Pae = 1u << 5;
    public const uint Cr4OsFxsr = 1u << 9;
    public const uint Cr4OsXmmExcpt = 1u << 10;
    public const uint Cr4OsXsave = 1u << 18;

    public const uint EferMsr = 0xC000_0080;
    public const uint EferLongModeEnable = 1u << 8;
    public const uint EferNoExecuteEnable = 1u << 11;

    public const uint Xcr0X87 = 1u << 0;
    public const uint Xcr0Sse = 1u << 1;
    public const uint Xcr0Avx = 1u << 2;

    public const int CpuidXsaveBit = 26;      // CPUID.1:ECX
    public const int CpuidAvxBit = 28;        // CPUID.1:ECX
    public const int CpuidNoExecuteBit = 20;  // CPUID.80000001h:EDX
}
