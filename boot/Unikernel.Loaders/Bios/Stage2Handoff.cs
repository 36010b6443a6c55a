using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Loaders.Bios.LowMemory;

namespace Unikernel.Loaders.Bios;

/// <summary>Stage 2's hand-over: the configuration as the command line, the hvm_start_info, the jump into the kernel.</summary>
internal sealed partial class Stage2Program
{
    private const uint PvhStartInfoMagic = 0x336EC578;
    // hvm_start_info (Xen's public arch-x86/hvm/start_info.h), version 1.
    private const int SiMagic = 0, SiVersion = 4, SiCommandLine = 24, SiRsdp = 32, SiMemoryMap = 40, SiMemoryMapEntries = 48;

    /// <summary>
    /// The configuration's sectors (ConfigCapacityBytes, at most 4096) to <see cref="LowMemory.CommandLine"/>, with a NUL
    /// after them: the kernel reads the command line up to the first NUL. No configuration (ConfigLba 0): no command line.
    /// </summary>
    private void ReadConfiguration()
    {
        var capped = a.CreateLabel();
        var none = a.CreateLabel();
        a.mov(__dword_ptr[Variable.CommandLineAddress], 0u);
        a.mov(ecx, __dword_ptr[BootMap + BootMapLayout.ConfigCapacityBytes]);
        a.cmp(ecx, (uint)DiskBootContract.ConfigCapacityBytes);
        a.jbe(capped);
        a.mov(ecx, (uint)DiskBootContract.ConfigCapacityBytes);
        Here(ref capped);
        a.mov(eax, __dword_ptr[BootMap + BootMapLayout.ConfigLba]);
        a.test(eax, eax);
        a.jz(none);
        a.test(ecx, ecx);
        a.jz(none);
        a.mov(di, cx);
        a.add(cx, DiskBootContract.SectorBytes - 1);
        a.shr(cx, 9);
        a.mov(bx, CommandLine >> 4);
        a.call(_readSectors);
        a.mov(__byte_ptr[di + CommandLine], 0);
        a.mov(__dword_ptr[Variable.CommandLineAddress], (uint)CommandLine);
        Here(ref none);
    }

    private void WriteStartInfo()
    {
        a.mov(di, StartInfo);
        a.xor(ax, ax);
        a.mov(cx, StartInfoBytes / 2);
        a.rep.stosw();
        a.mov(__dword_ptr[StartInfo + SiMagic], PvhStartInfoMagic);
        a.mov(__dword_ptr[StartInfo + SiVersion], 1u);
        a.mov(eax, __dword_ptr[Variable.CommandLineAddress]);
        a.mov(__dword_ptr[StartInfo + SiCommandLine], eax);
        a.mov(eax, __dword_ptr[Variable.Rsdp]);
        a.mov(__dword_ptr[StartInfo + SiRsdp], eax);
        a.mov(__dword_ptr[StartInfo + SiMemoryMap], (uint)MemoryMap);
        a.mov(eax, __dword_ptr[Variable.MemoryMapEntries]);
        a.mov(__dword_ptr[StartInfo + SiMemoryMapEntries], eax);
    }

    /// <summary>Into flat 32-bit protected mode for good (ProtectedModeGate's EnterKernel), interrupts off.</summary>
    private void EnterKernel()
    {
        a.cli();
        a.lgdt(__[_at.Gdtr]);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        a.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, ProtectedModeGate.Code32, checked((ushort)_at.EnterKernel32)));
    }
}
