using Iced.Intel;

namespace Unikernel.Boot.Tests;

/// <summary>
/// Just enough of an x86 interpreter to run boot.o's table-building routines (page tables, TSS
/// descriptor, IDT) on linked code and inspect the memory they write. Unknown instructions fail the
/// test rather than being skipped.
/// </summary>
public sealed class TinyX86
{
    private readonly Dictionary<Register, ulong> _registers = new();
    public Dictionary<ulong, byte> Memory { get; } = new();
    public bool ZeroFlag { get; private set; }
    public bool CarryFlag { get; private set; }

    public ulong this[Register register]
    {
        get => _registers.TryGetValue(register.GetFullRegister(), out var v) ? Truncate(v, register.GetSize()) : 0;
        set => Write(register, value);
    }

    /// <summary>Runs the instructions (one straight-line function with backward branches) until
    /// execution leaves them; at most <paramref name="maxSteps"/> steps.</summary>
    public void Run(IReadOnlyList<Instruction> code, int bitness, int maxSteps = 1_000_000)
    {
        var byAddress = code.Select((instruction, index) => (instruction.IP, index)).ToDictionary(p => p.IP, p => p.index);
        int i = 0;
        for (int steps = 0; i < code.Count; steps++)
        {
            if (steps > maxSteps) throw new InvalidOperationException("too many steps");
            var ins = code[i];
            ulong? jump = Execute(ins, bitness);
            if (jump is { } target)
            {
                if (!byAddress.TryGetValue(target, out i))
                    return;
            }
            else
            {
                i++;
            }
        }
    }

    public ulong ReadMemory(ulong address, int size)
    {
        ulong value = 0;
        for (int i = size - 1; i >= 0; i--)
            value = (value << 8) | (Memory.TryGetValue(address + (ulong)i, out var b) ? b : 0u);
        return value;
    }

    private void WriteMemory(ulong address, int size, ulong value)
    {
        for (int i = 0; i < size; i++)
            Memory[address + (ulong)i] = (byte)(value >> (8 * i));
    }

    private void Write(Register register, ulong value)
    {
        int size = register.GetSize();
        var full = register.GetFullRegister();
        ulong old = _registers.TryGetValue(full, out var v) ? v : 0;
        _registers[full] = size switch
        {
            8 => value,
            4 => (uint)value, // 32-bit writes zero the upper half
            2 => (old & ~0xFFFFUL) | (ushort)value,
            1 => (old & ~0xFFUL) | (byte)value,
            _ => throw new NotSupportedException(register.ToString()),
        };
    }

    private static ulong Truncate(ulong value, int size) => size == 8 ? value : value & ((1UL << (8 * size)) - 1);

    private ulong Address(in Instruction ins) =>
        ins.IsIPRelativeMemoryOperand
            ? ins.IPRelativeMemoryAddress
            : (ins.MemoryBase == Register.None ? 0 : this[ins.MemoryBase])
              + (ins.MemoryIndex == Register.None ? 0 : this[ins.MemoryIndex] * (ulong)ins.MemoryIndexScale)
              + ins.MemoryDisplacement64;

    private int OperandSize(in Instruction ins, int operand) => ins.GetOpKind(operand) switch
    {
        OpKind.Register => ins.GetOpRegister(operand).GetSize(),
        OpKind.Memory => ins.MemorySize.GetSize(),
        _ => OperandSize(ins, 0),
    };

    private ulong Read(in Instruction ins, int operand) => ins.GetOpKind(operand) switch
    {
        OpKind.Register => this[ins.GetOpRegister(operand)],
        OpKind.Memory => ReadMemory(Address(ins), ins.MemorySize.GetSize()),
        _ => ins.GetImmediate(operand),
    };

    private void Store(in Instruction ins, int operand, ulong value)
    {
        if (ins.GetOpKind(operand) == OpKind.Register)
            Write(ins.GetOpRegister(operand), value);
        else
            WriteMemory(Address(ins), ins.MemorySize.GetSize(), value);
    }

    private ulong? Execute(in Instruction ins, int bitness)
    {
        switch (ins.Mnemonic)
        {
            case Mnemonic.Mov:
                Store(ins, 0, Read(ins, 1));
                return null;
            case Mnemonic.Movzx:
                Store(ins, 0, Read(ins, 1));
                return null;
            case Mnemonic.Lea:
                Store(ins, 0, Address(ins));
                return null;
            case Mnemonic.And:
            case Mnemonic.Or:
            case Mnemonic.Xor:
            case Mnemonic.Add:
            case Mnemonic.Shl:
            case Mnemonic.Shr:
            {
                int size = OperandSize(ins, 0);
                ulong a = Read(ins, 0), b = Read(ins, 1);
                ulong r = ins.Mnemonic switch
                {
                    Mnemonic.And => a & b,
                    Mnemonic.Or => a | b,
                    Mnemonic.Xor => a ^ b,
                    Mnemonic.Add => a + b,
                    Mnemonic.Shl => a << (int)(b & 63),
                    _ => a >> (int)(b & 63),
                };
                r = Truncate(r, size);
                Store(ins, 0, r);
                ZeroFlag = r == 0;
                return null;
            }
            case Mnemonic.Dec:
            {
                ulong r = Truncate(Read(ins, 0) - 1, OperandSize(ins, 0));
                Store(ins, 0, r);
                ZeroFlag = r == 0;
                return null;
            }
            case Mnemonic.Jne:
                return ZeroFlag ? null : ins.NearBranchTarget;
            case Mnemonic.Jmp when ins.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64:
                return ins.NearBranchTarget;
            case Mnemonic.Cld:
                return null;
            case Mnemonic.Stosd when ins.HasRepPrefix:
            {
                var di = bitness == 64 ? Register.RDI : Register.EDI;
                var cx = bitness == 64 ? Register.RCX : Register.ECX;
                for (; this[cx] != 0; this[cx] = this[cx] - 1, this[di] = this[di] + 4)
                    WriteMemory(this[di], 4, this[Register.EAX]);
                return null;
            }
            default:
                throw new NotSupportedException($"TinyX86 cannot run '{ins}'");
        }
    }
}
