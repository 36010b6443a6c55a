// /init of the benchmark's Linux microVM: the smallest fair equivalent of what our kernel does for an app.
//
//   1. mount /proc and /sys (the .NET runtime reads /proc/meminfo, /proc/self/..., /sys/devices/system/cpu/...;
//      our kernel serves the same files itself);
//   2. with INIT_NETWORK=<address>/<prefix>,<gateway> in its environment (a KEY=VALUE word on the kernel
//      command line), bring the network up the way our kernel does at boot: load the modules the initramfs
//      carries in /modules (in name order: the Debian kernel has virtio, virtio_mmio and virtio_net as modules),
//      then configure lo and eth0 and the default route with ioctls (LinuxNetwork.cs);
//   3. start /app (argv[1..] of /init become the app's arguments; /init's environment without the HOME and
//      TERM the kernel adds and without INIT_NETWORK -- empty unless the command line has KEY=VALUE words, as
//      in our image without -e) with stdin and stderr on /dev/console and stdout on a pipe that /init forwards to the
//      console: the pipe is how /init sees the moment of the app's first output;
//   4. wait for it, then print one line with TSC readings, the counterpart of our kernel's "app timing" line:
//        init: app timing (tsc): init main M, spawn S, first output F, exit E, status N
//      absolute TSC values; under QEMU's -icount shift=0 the TSC counts virtual nanoseconds (one per guest
//      instruction) from the start of the VM, so they compare with our kernel's entry TSC + its figures;
//      and a line with /proc/uptime (seconds since Linux's clock started, seconds idle) at init's Main and at exit;
//   5. end the VM with the app's status through QEMU's isa-debug-exit port (as our kernel does; status N
//      makes QEMU exit with 2N+1), or, without that device, reboot(RB_POWER_OFF).
//
// Everything goes through musl directly (DirectPInvoke "libc"): no System.Diagnostics.Process, whose
// start-up (SIGCHLD handling, a wait thread) would add to Linux's figures.
using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Benchmarks.LinuxInit;

public static unsafe class Program
{
    private const int O_CLOEXEC = 0x80000;
    private const int PROT_RWX = 7, MAP_PRIVATE_ANONYMOUS = 0x22;
    private const int RB_POWER_OFF = 0x4321fedc;
    private const int DebugExitPort = 0xf4;

    public static int Main(string[] args)
    {
        string[] environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name is not ("HOME" or "TERM" or LinuxNetwork.Variable))
            .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}").Order(StringComparer.Ordinal).ToArray();
        // Machine code, because C# has no RDTSC and no OUT: rdtsc; shl rdx, 32; or rax, rdx; ret
        // and mov edx, 0xf4; mov eax, edi; out dx, al; ret.
        byte* code = (byte*)mmap(null, 4096, PROT_RWX, MAP_PRIVATE_ANONYMOUS, -1, 0);
        if (code == (byte*)-1) return Fail("mmap");
        ReadOnlySpan<byte> rdtsc = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];
        ReadOnlySpan<byte> outb = [0xBA, DebugExitPort, 0x00, 0x00, 0x00, 0x89, 0xF8, 0xEE, 0xC3];
        rdtsc.CopyTo(new Span<byte>(code, 16));
        outb.CopyTo(new Span<byte>(code + 16, 16));
        var readTsc = (delegate* unmanaged<ulong>)code;
        var writeExitPort = (delegate* unmanaged<int, void>)(code + 16);
        ulong initMain = readTsc();

        Mount("proc", "/proc", "proc");
        Mount("sysfs", "/sys", "sysfs");
        string uptimeAtMain = ReadSmallFile("/proc/uptime");
        if (Environment.GetEnvironmentVariable(LinuxNetwork.Variable) is { } network)
        {
            string? problem = LinuxNetwork.Configure(network, "/modules");
            if (problem != null) { Say(2, $"init: network: {problem}\n"); reboot(RB_POWER_OFF); return 1; }
        }

        int* pipe = stackalloc int[2];
        if (pipe2(pipe, O_CLOEXEC) != 0) return Fail("pipe2");
        int console = dup(1);                 // /dev/console, kept for /init's own output
        if (dup2(pipe[1], 1) < 0) return Fail("dup2");   // the app's stdout: the pipe (dup2 clears CLOEXEC)

        string[] argv = ["/app", .. args];
        nint* argvNative = stackalloc nint[argv.Length + 1];
        for (int i = 0; i < argv.Length; i++) argvNative[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        argvNative[argv.Length] = 0;
        nint* envNative = stackalloc nint[environment.Length + 1];
        for (int i = 0; i < environment.Length; i++) envNative[i] = Marshal.StringToCoTaskMemUTF8(environment[i]);
        envNative[environment.Length] = 0;

        int pid;
        ulong spawn = readTsc();
        int error = posix_spawn(&pid, argvNative[0], null, null, argvNative, envNative);
        dup2(console, 1);
        close(pipe[1]);
        if (error != 0) return Fail("posix_spawn /app", error);

        ulong firstOutput = 0;
        byte* buffer = stackalloc byte[4096];
        nint n;
        while ((n = read(pipe[0], buffer, 4096)) != 0)
        {
            if (n < 0) { if (Marshal.GetLastPInvokeError() == 4) continue; break; }   // EINTR
            if (firstOutput == 0) firstOutput = readTsc();
            for (nint done = 0; done < n;)
            {
                nint w = write(console, buffer + done, n - done);
                if (w <= 0) break;
                done += w;
            }
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && Marshal.GetLastPInvokeError() == 4) { }
        ulong exit = readTsc();
        int exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);

        Say(console, $"init: app timing (tsc): init main {initMain}, spawn {spawn}, first output {firstOutput}, exit {exit}, status {exitStatus}\n");
        // Seconds since Linux's clock started and seconds its CPU spent idle (virtual time under -icount): how much
        // of Linux's boot was waiting rather than executing.
        Say(console, $"init: /proc/uptime at init main {uptimeAtMain}, at exit {ReadSmallFile("/proc/uptime")}\n");
        if (ioperm(DebugExitPort, 1, 1) == 0) writeExitPort(exitStatus);
        reboot(RB_POWER_OFF);
        return exitStatus;
    }

    private static void Mount(string source, string target, string type)
    {
        mkdir(target, 0x1ed);
        if (mount(source, target, type, 0, null) != 0) Say(2, $"init: mount {target}: errno {Marshal.GetLastPInvokeError()}\n");
    }

    private static string ReadSmallFile(string path)
    {
        int fd = open(path, 0);
        if (fd < 0) return "?";
        byte* buffer = stackalloc byte[256];
        nint n = read(fd, buffer, 256);
        close(fd);
        return n > 0 ? Encoding.ASCII.GetString(buffer, (int)n).Trim() : "?";
    }

    private static int Fail(string what, int error = -1)
    {
        Say(2, $"init: {what} failed: errno {(error < 0 ? Marshal.GetLastPInvokeError() : error)}\n");
        reboot(RB_POWER_OFF);
        return 1;
    }

    private static void Say(int fd, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes) write(fd, p, bytes.Length);
    }

    [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* address, nint length, int protection, int flags, int fd, nint offset);
    [DllImport("libc", SetLastError = true)] private static extern int pipe2(int* fds, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int dup(int fd);
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] private static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int dup2(int fd, int target);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern nint read(int fd, byte* buffer, nint count);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, byte* buffer, nint count);
    [DllImport("libc")] private static extern int posix_spawn(int* pid, nint path, void* fileActions, void* attributes, nint* argv, nint* envp);
    [DllImport("libc", SetLastError = true)] private static extern int waitpid(int pid, int* status, int options);
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] private static extern int mkdir(string path, int mode);
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] private static extern int mount(string source, string target, string type, nuint flags, void* data);
    [DllImport("libc", SetLastError = true)] private static extern int ioperm(nuint from, nuint count, int turnOn);
    [DllImport("libc", SetLastError = true)] private static extern int reboot(int command);
}
