using System.Buffers.Binary;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools.Tests;

/// <summary>Tiny PVH guests made from the KVM probe guest (ProbeGuest): one that reports a status, one that dies without.</summary>
public static class TestGuests
{
    private const int CodeOffset = 208;

    /// <summary>Exits through isa-debug-exit with ProbeGuest.ExpectedStatus.</summary>
    public static byte[] ReportsAStatus() => ProbeGuest.Build();

    /// <summary>Loads an empty IDT and executes ud2: #UD, #GP, double fault, triple fault -- a reset, no status.</summary>
    public static byte[] TripleFaults()
    {
        var file = ProbeGuest.Build();
        uint emptyIdt = (uint)ProbeGuest.LoadAddress + CodeOffset + 9;
        byte[] code = [0x0F, 0x01, 0x1D, 0, 0, 0, 0,   // lidt [emptyIdt]
                       0x0F, 0x0B,                      // ud2
                       0, 0, 0, 0, 0, 0];               // the descriptor: limit 0, base 0
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(3), emptyIdt);
        Array.Fill(file, (byte)0, CodeOffset, file.Length - CodeOffset);
        code.CopyTo(file, CodeOffset);
        return file;
    }

    /// <summary>The probe guest with its one PT_LOAD moved to <paramref name="physicalAddress"/> (only for checks made before booting).</summary>
    public static byte[] LoadedAt(ulong physicalAddress)
    {
        var file = ProbeGuest.Build();
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 24), physicalAddress);   // the first program header's p_paddr
        return file;
    }

    public static bool QemuInstalled => File.Exists("/usr/bin/qemu-system-x86_64") || File.Exists("/usr/local/bin/qemu-system-x86_64");
}
