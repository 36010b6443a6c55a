using System.CommandLine;
using Unikernel.Tools.Qemu;

namespace Unikernel.Tools;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("uk: run and inspect bootable Unikernel images");
        root.Subcommands.Add(RunCommand());
        return root.Parse(args).Invoke();
    }

    private static Command RunCommand()
    {
        var image = new Argument<FileInfo>("image") { Description = "The bootable image (PVH ELF)" };
        var env = new Option<string[]>("--env", "-e") { Description = "KEY=VALUE environment entry for the app (repeatable)", AllowMultipleArgumentsPerToken = false };
        var kernelOption = new Option<string[]>("--kernel-option", "-k") { Description = "uk.NAME[=VALUE] option for the kernel (repeatable)" };
        var memory = new Option<string>("--memory", "-m") { Description = "Guest RAM (QEMU syntax: 64M, 1G)", DefaultValueFactory = _ => "128M" };
        var machine = new Option<MachineKind>("--machine") { Description = "QEMU machine model", DefaultValueFactory = _ => MachineKind.Microvm };
        var accel = new Option<Accelerator>("--accel") { Description = "auto picks KVM only where it works for our guests", DefaultValueFactory = _ => Accelerator.Auto };
        var icount = new Option<bool>("--icount") { Description = "Count guest time in instructions (-icount shift=0)" };
        var timeout = new Option<int>("--timeout") { Description = "Stop the guest after this many seconds (0: never)", DefaultValueFactory = _ => 0 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the QEMU command and exit" };
        var appArgs = new Argument<string[]>("args") { Description = "Arguments for the app (after --)", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("run", "Boot an image in QEMU; the console streams to stdout and the app's exit status becomes uk's")
        {
            image, appArgs, env, kernelOption, memory, machine, accel, icount, timeout, dryRun,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists) { Console.Error.WriteLine($"uk: error: image not found: {file.FullName}"); return 2; }
            string cmdline;
            try
            {
                cmdline = KernelCommandLine.Build(parse.GetValue(kernelOption) ?? [], parse.GetValue(env) ?? [], parse.GetValue(appArgs) ?? []);
            }
            catch (ArgumentException e) { Console.Error.WriteLine($"uk: error: {e.Message}"); return 2; }
            var options = new QemuOptions
            {
                ImagePath = file.FullName,
                Machine = parse.GetValue(machine),
                Accelerator = QemuCommand.ResolveAccelerator(parse.GetValue(accel)),
                Memory = parse.GetValue(memory)!,
                InstructionCounting = parse.GetValue(icount),
                CommandLine = cmdline,
            };
            if (parse.GetValue(dryRun)) { Console.WriteLine(QemuCommand.Format(options)); return 0; }
            int seconds = parse.GetValue(timeout);
            var limit = seconds > 0 ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
            try
            {
                var result = QemuRunner.RunAsync(options, limit, text => { Console.Out.Write(text); Console.Out.Flush(); }).GetAwaiter().GetResult();
                if (result.TimedOut) Console.Error.WriteLine($"uk: guest stopped after {seconds} s (timeout)");
                return result.ExitStatus;
            }
            catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
            {
                Console.Error.WriteLine($"uk: error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
