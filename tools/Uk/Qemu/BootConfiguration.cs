using Unikernel.Formats;

namespace Unikernel.Tools.Qemu;

/// <summary>
/// What `uk run` hands the guest to configure it (docs/options.md, "Configuration at boot"): the kernel command line
/// (kernel options, -e entries, the app's arguments) and the environment block for fw_cfg file opt/uk/env (the entries
/// of --env-file, the kernel's second source; the command line's -e entries override them). -e entries go on the
/// command line while they fit; when the line would be too long they move to the fw_cfg block, after the env files'
/// entries, so they still win. Names: any Linux allows (not empty, no '=', no NUL), as on the kernel's side.
/// </summary>
public sealed record BootConfiguration(string CommandLine, byte[]? FirmwareEnvironment)
{
    /// <summary>The fw_cfg file the kernel reads its environment block from (runtime/Kernel/Boot/BootEnvironment.cs).</summary>
    public const string FirmwareConfigName = "opt/uk/env";
    /// <summary>fds 0-2 of the app are a terminal (runtime/Kernel/Files/Synthetic/ConsoleDevice.cs).</summary>
    public const string TerminalOption = "uk.console.tty";

    /// <param name="environment">-e entries: NAME=VALUE, or a bare NAME for uk's own value of NAME (skipped when unset), as docker run -e.</param>
    /// <param name="outputIsTerminal">uk's stdout is a terminal: the app's stdout and stderr, which both end there, are one too.</param>
    /// <exception cref="ArgumentException">One line: what cannot be passed.</exception>
    public static BootConfiguration Prepare(IReadOnlyList<string> kernelOptions, IReadOnlyList<string> environment, IReadOnlyList<string> environmentFiles,
                                            IReadOnlyList<string> arguments, Func<string, string?> hostEnvironment, bool outputIsTerminal)
    {
        var options = kernelOptions.ToList();
        if (outputIsTerminal && !options.Any(o => o == TerminalOption || o.StartsWith(TerminalOption + "=", StringComparison.Ordinal)))
            options.Add(TerminalOption + "=1");

        var fromFiles = new List<KeyValuePair<string, string>>();
        foreach (string file in environmentFiles)
        {
            string text;
            try { text = File.ReadAllText(file, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
            {
                throw new ArgumentException($"--env-file {file}: {e.Message}");
            }
            try { fromFiles.AddRange(EnvironmentFile.Parse(text, file, hostEnvironment)); }
            catch (FormatException e) { throw new ArgumentException($"--env-file {e.Message}"); }
        }

        // Checked before anything is built, so that only a length problem sends the entries to fw_cfg below.
        var entries = new List<string>();
        foreach (string entry in environment)
        {
            if (entry.Contains('\0')) KernelCommandLine.Build([], [entry], []);   // throws the one-line NUL message
            int equals = entry.IndexOf('=');
            if (equals == 0 || entry.Length == 0) throw new ArgumentException($"environment entry '{entry}' is not KEY=VALUE");
            if (equals > 0) { entries.Add(entry); continue; }
            if (hostEnvironment(entry) is { } value) entries.Add(entry + "=" + value);
        }

        string commandLine;
        var firmware = fromFiles;
        try
        {
            commandLine = KernelCommandLine.Build(options, entries, arguments);
        }
        catch (ArgumentException) when (entries.Count > 0 && TryWithout(options, arguments) is { } shorter)
        {
            // Too long or too many words with the -e entries: fw_cfg carries them (after the files' entries: -e wins).
            commandLine = shorter;
            firmware = [.. fromFiles, .. entries.Select(Split)];
        }
        byte[]? block = null;
        if (firmware.Count > 0)
        {
            try { block = EnvironmentFile.Encode(firmware); }
            catch (FormatException e) { throw new ArgumentException(e.Message); }
        }
        return new BootConfiguration(commandLine, block);
    }

    private static string? TryWithout(List<string> options, IReadOnlyList<string> arguments)
    {
        try { return KernelCommandLine.Build(options, [], arguments); }
        catch (ArgumentException) { return null; }
    }

    private static KeyValuePair<string, string> Split(string entry) => new(entry[..entry.IndexOf('=')], entry[(entry.IndexOf('=') + 1)..]);
}
