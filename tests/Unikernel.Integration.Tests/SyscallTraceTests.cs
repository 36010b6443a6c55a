using static Iced.Intel.AssemblerRegisters;
using static Unikernel.Integration.Tests.RawProgram;

namespace Unikernel.Integration.Tests;

/// <summary>
/// `uk.strace` shows the string arguments of a call (paths, names) as strace does: quoted, cut after 64 bytes with
/// `...`, every byte outside printable ASCII escaped, so that an app cannot break or forge a kernel line through a
/// path; a pointer the app does not own prints as the number it is, and a null one as NULL.
/// </summary>
public class SyscallTraceTests
{
    private const int Open = 2, Rename = 82;

    [Fact]
    public async Task StringArgumentsAreTracedAsEscapedText()
    {
        var p = new RawProgram();
        OpenPath(p, "/tmp/a\nb\"c\\d\u001e\u00ff");
        OpenPath(p, "/" + new string('x', 99));
        p.Syscall(Open, 0x10, 0, 0);      // below the user window
        p.Syscall(Open, 0, 0, 0);
        LoadString(p, "/tmp/from", rdi);
        LoadString(p, "/tmp/to", rsi);
        p.Asm.mov(eax, Rename);
        p.Asm.syscall();
        p.Exit(0);

        var guest = await RunInGuestAsync(p.ToElf(), "strace-text", "uk.strace");

        Assert.True(guest.ExitStatus == 0, guest.Console);
        string[] kernel = guest.Console.Replace("\r", "").Split('\n');
        Assert.Contains(@"uk: [1] open(""/tmp/a\x0ab\""c\\d\x1e\xff"", 0x0, 0x0) = -ENOENT", kernel);
        Assert.Contains($"uk: [1] open(\"/{new string('x', 63)}\"..., 0x0, 0x0) = -ENOENT", kernel);
        Assert.Contains("uk: [1] open(0x10, 0x0, 0x0) = -EFAULT", kernel);
        Assert.Contains("uk: [1] open(NULL, 0x0, 0x0) = -EFAULT", kernel);
        Assert.Contains(@"uk: [1] rename(""/tmp/from"", ""/tmp/to"") = -ENOENT", kernel);
    }

    private static void OpenPath(RawProgram p, string path)
    {
        LoadString(p, path, rdi);
        p.Asm.xor(esi, esi);
        p.Asm.xor(edx, edx);
        p.Asm.mov(eax, Open);
        p.Asm.syscall();
    }

    // The string NUL-terminated (Latin-1, so every byte value can be written), its address in the register.
    private static void LoadString(RawProgram p, string text, Iced.Intel.AssemblerRegister64 register) =>
        p.LoadData([.. System.Text.Encoding.Latin1.GetBytes(text), 0], register);
}
