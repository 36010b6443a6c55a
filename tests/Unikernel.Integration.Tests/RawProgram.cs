using System.Buffers.Binary;
using System.Diagnostics;
using Iced.Intel;
using Unikernel.Tools.Qemu;
using static Iced.Intel.AssemblerRegisters;

namespace Unikernel.Integration.Tests;

/// <summary>
/// A static x86-64 Linux executable written as machine code (Iced), without libc: for the system-call and
/// signal behaviour a .NET app cannot reach (forged rt_sigreturn frames, int3, pause...). One PT_LOAD (RWX)
/// at 4 MiB holds the headers, the code and its strings; zeroed memory follows for data and stacks
/// (<see cref="Scratch"/>). The same file runs on this Linux host and, embedded with `uk-ld --app`, in the
/// unikernel, so a test can hold the two to the same outcome.
/// </summary>
public sealed class RawProgram
{
    public const ulong Base = 0x40_0000;
    private const ulong CodeOffset = 0x80;   // right after the ELF header (64) and one program header (56)
    /// <summary>Zeroed memory after the code: <see cref="ScratchSize"/> bytes for the program's data and stacks.</summary>
    public const ulong Scratch = Base + 0x10_0000;
    public const ulong ScratchSize = 0x10_0000;

    public const int SIGTRAP = 5, SIGUSR1 = 10, SIGSEGV = 11;
    public const ulong SaSiginfo = 4, SaRestorer = 0x0400_0000, SaOnStack = 0x0800_0000, SaNodefer = 0x4000_0000;

    public readonly Assembler Asm = new(64);
    private Label _restorer;

    public RawProgram()
    {
        _restorer = Asm.CreateLabel("restorer");
    }

    /// <summary>A system call; arguments go in rdi, rsi, rdx, r10, r8, r9; the result is in rax.</summary>
    public void Syscall(int number, params ulong[] args)
    {
        AssemblerRegister64[] registers = [rdi, rsi, rdx, r10, r8, r9];
        for (int i = 0; i < args.Length; i++) Asm.mov(registers[i], args[i]);
        Asm.mov(eax, number);
        Asm.syscall();
    }

    public void Exit(int status) => Syscall(231, (ulong)status);

    /// <summary>kill(getpid(), signal): the process signals itself.</summary>
    public void KillSelf(int signal)
    {
        Syscall(39);                 // getpid
        Asm.mov(rdi, rax);
        Asm.mov(esi, signal);
        Asm.mov(eax, 62);            // kill
        Asm.syscall();
    }

    /// <summary>Ends the program with <paramref name="status"/> unless rax == <paramref name="expected"/>.</summary>
    public void ExpectRax(long expected, int status)
    {
        Asm.mov(rcx, (ulong)expected);
        Asm.cmp(rax, rcx);
        ExitUnlessEqual(status);
    }

    /// <summary>After a cmp: ends the program with <paramref name="status"/> unless the operands were equal.</summary>
    public void ExitUnlessEqual(int status)
    {
        var ok = Asm.CreateLabel();
        Asm.je(ok);
        Exit(status);
        Asm.Label(ref ok);
    }

    /// <summary>The bytes inline in the code (jumped over), and their address in <paramref name="register"/>.</summary>
    public void LoadData(byte[] bytes, AssemblerRegister64 register)
    {
        var data = Asm.CreateLabel();
        var after = Asm.CreateLabel();
        Asm.jmp(after);
        Asm.Label(ref data);
        Asm.db(bytes);
        Asm.Label(ref after);
        Asm.lea(register, __[data]);
    }

    /// <summary>write(1, text): the line the tests compare between Linux and the guest.</summary>
    public void Print(string text)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(text + "\n");
        LoadData(bytes, rsi);
        Asm.mov(edi, 1);
        Asm.mov(edx, bytes.Length);
        Asm.mov(eax, 1);
        Asm.syscall();
    }

    /// <summary>rt_sigaction(signal, {handler, flags | SA_RESTORER, restorer, mask 0}), using 32 bytes at <paramref name="scratch"/>.</summary>
    public void SetHandler(int signal, Label handler, ulong flags, ulong scratch) =>
        SetHandler(signal, () => Asm.lea(rax, __[handler]), flags, scratch);

    /// <summary>As <see cref="SetHandler(int, Label, ulong, ulong)"/> with any address as the handler.</summary>
    public void SetHandlerAddress(int signal, ulong handler, ulong flags, ulong scratch) =>
        SetHandler(signal, () => Asm.mov(rax, handler), flags, scratch);

    private void SetHandler(int signal, Action loadHandler, ulong flags, ulong scratch)
    {
        loadHandler();
        Asm.mov(rbx, scratch);
        Asm.mov(__qword_ptr[rbx], rax);
        Asm.mov(rax, flags | SaRestorer);
        Asm.mov(__qword_ptr[rbx + 8], rax);
        Asm.lea(rax, __[_restorer]);
        Asm.mov(__qword_ptr[rbx + 16], rax);
        Asm.mov(__qword_ptr[rbx + 24], 0);
        Syscall(13, (ulong)signal, scratch, 0, 8);
        ExpectRax(0, 90);
    }

    /// <summary>The machine code, assembled at its load address, in an ELF executable.</summary>
    public byte[] ToElf()
    {
        Asm.Label(ref _restorer);
        Asm.mov(eax, 15);
        Asm.syscall();
        Asm.ud2();

        var stream = new MemoryStream();
        Asm.Assemble(new StreamCodeWriter(stream), Base + CodeOffset);
        byte[] code = stream.ToArray();
        if (CodeOffset + (ulong)code.Length > Scratch - Base) throw new InvalidOperationException("raw program too large");

        var elf = new byte[CodeOffset + (ulong)code.Length];
        var h = elf.AsSpan();
        h[0] = 0x7F; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = 2; h[5] = 1; h[6] = 1;                                   // ELFCLASS64, little-endian, version 1
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2);            // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62);           // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Base + CodeOffset);   // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64);           // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);           // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);           // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], 1);            // e_phnum
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], 64);           // e_shentsize (no section headers)
        var p = h[64..];
        BinaryPrimitives.WriteUInt32LittleEndian(p, 1);                  // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], 7);             // RWX
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)elf.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], Scratch + ScratchSize - Base);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], 0x1000);
        code.CopyTo(h[(int)CodeOffset..]);
        return elf;
    }

    public sealed record Outcome(List<string> Lines, int ExitStatus, string Console);

    /// <summary>Runs the program on this Linux host: its stdout lines and exit status (128 + N when signal N killed it).</summary>
    public static Outcome RunOnLinux(byte[] elf, string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"uk-raw-{name}-{Environment.ProcessId}");
        File.WriteAllBytes(path, elf);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = StartFreshExecutable(start);
            string stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(30_000)) { process.Kill(); throw new TimeoutException($"{name} did not end on Linux"); }
            return new Outcome(Lines(stdout), process.ExitCode, stdout);
        }
        finally { File.Delete(path); }
    }

    // A file just written cannot be executed while any process holds it open for writing (ETXTBSY). Our descriptor is
    // closed, but a process that another test thread forks in that moment inherits it until its own exec closes it
    // (close-on-exec), so exec can fail for a few milliseconds: the known race of write-then-exec in a threaded
    // process (Go's os/exec retries likewise). Retry briefly; any other failure is reported at once.
    private static Process StartFreshExecutable(ProcessStartInfo start)
    {
        const int TextFileBusy = 26;
        for (int attempt = 1; ; attempt++)
        {
            try { return Process.Start(start)!; }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == TextFileBusy && attempt < 100)
            {
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>Links the program into an image with the kernel `make build` made (uk-ld --app) and boots it.</summary>
    public static async Task<Outcome> RunInGuestAsync(byte[] elf, string name, string kernelCommandLine = "", Action<string>? onOutput = null)
    {
        string root = KernelImages.RepositoryRoot;
        string directory = Path.Combine(Path.GetTempPath(), $"uk-raw-{name}-{Environment.ProcessId}-guest");
        Directory.CreateDirectory(directory);
        try
        {
            string app = Path.Combine(directory, name), image = Path.Combine(directory, name + ".img");
            File.WriteAllBytes(app, elf);
            string linker = Required(Path.Combine(root, "artifacts", "dotnet", "bin", "Unikernel.Linker", "release", "uk-ld.dll"));
            var link = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in new[] { linker, "-o", image, Required(Path.Combine(root, "artifacts", "boot", "boot.o")),
                                            Required(Path.Combine(root, "artifacts", "kernel", "kernel.o")), "--app", app })
                link.ArgumentList.Add(arg);
            using (var process = Process.Start(link)!)
            {
                string errors = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0) throw new InvalidOperationException($"uk-ld --app failed: {errors}");
            }
            var result = await KernelImages.BootAsync(image, MachineKind.Microvm, kernelCommandLine, onOutput: onOutput);
            if (result.TimedOut) throw new TimeoutException($"{name} timed out in the guest:\n{result.Console}");
            return new Outcome(AppImages.AppLines(result), result.ExitStatus, result.Console);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    private static List<string> Lines(string text) =>
        text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string Required(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run 'make build' first", path);
}
