using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Hostile;

/// <summary>
/// The snippets the fault probe calls: one instruction (or a few) that ring 3 must not be allowed to complete,
/// each a function of one argument (rdi) returning rax. The ones that read a table register return what they
/// leaked, so an attack that is wrongly allowed shows the kernel address it got.
/// </summary>
internal static class InstructionSnippets
{
    public static readonly List<string> Names = new();

    public static void Emit(Assembler a, Action<string> here, ulong scratch)
    {
        void Snippet(string name, Action body)
        {
            here(name);
            body();
            a.ret();
            Names.Add(name);
        }

        // Not an attack: the user code and stack selectors, for forged frames that should be accepted.
        Snippet("read-cs-ss", () => { a.mov(eax, ss); a.shl(eax, 16); a.mov(ecx, cs); a.movzx(ecx, cx); a.or(eax, ecx); });
        Snippet("load", () => a.mov(rax, __qword_ptr[rdi]));
        // A write access that leaves the value as it was, should the page wrongly be writable.
        Snippet("store", () => { a.xor(eax, eax); a.@lock.or(__qword_ptr[rdi], rax); });
        Snippet("call", () => a.call(rdi));
        Snippet("hlt", () => a.hlt());
        Snippet("cli", () => a.cli());
        Snippet("sti", () => a.sti());
        // isa-debug-exit: were this allowed, QEMU would exit with status 2*42+1 and the test would see 42.
        Snippet("out-debug-exit", () => { a.mov(edx, 0xF4); a.mov(eax, 42); a.@out(dx, al); });
        Snippet("in-debug-exit", () => { a.mov(edx, 0xF4); a.@in(al, dx); });
        Snippet("in-keyboard", () => a.@in(al, 0x60));
        Snippet("out-post-code", () => a.@out(0x80, al));
        Snippet("lgdt", () => { a.mov(rax, scratch); a.lgdt(__[rax]); });
        Snippet("lidt", () => { a.mov(rax, scratch); a.lidt(__[rax]); });
        Snippet("lldt", () => { a.xor(eax, eax); a.lldt(ax); });
        Snippet("ltr", () => { a.mov(eax, 0x28); a.ltr(ax); });
        Snippet("rdmsr-efer", () => { a.mov(ecx, 0xC0000080); a.rdmsr(); });
        Snippet("wrmsr-tsc-aux", () => { a.mov(ecx, 0xC0000103); a.xor(eax, eax); a.xor(edx, edx); a.wrmsr(); });
        Snippet("read-cr0", () => a.mov(rax, cr0));
        Snippet("read-cr3", () => a.mov(rax, cr3));
        Snippet("write-cr3", () => a.mov(cr3, rdi));
        Snippet("write-cr4", () => a.mov(cr4, rdi));
        Snippet("invlpg", () => a.invlpg(__byte_ptr[rdi]));
        Snippet("wbinvd", () => a.wbinvd());
        Snippet("clts", () => a.clts());
        Snippet("swapgs", () => a.swapgs());
        Snippet("int-page-fault-vector", () => a.@int(14));
        Snippet("int-0x81", () => a.@int(0x81));
        Snippet("sgdt", () => { a.mov(rax, scratch); a.sgdt(__[rax]); a.mov(rax, __qword_ptr[rax + 2]); });
        Snippet("sidt", () => { a.mov(rax, scratch); a.sidt(__[rax]); a.mov(rax, __qword_ptr[rax + 2]); });
        Snippet("sldt", () => { a.xor(eax, eax); a.sldt(ax); });
        Snippet("str", () => { a.xor(eax, eax); a.str(ax); });
        Snippet("smsw", () => { a.xor(eax, eax); a.smsw(ax); });
        Snippet("int3", () => a.int3());
        Snippet("ud2", () => a.ud2());
    }
}
