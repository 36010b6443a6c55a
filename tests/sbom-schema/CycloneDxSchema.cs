using System.Diagnostics;

namespace Unikernel.Tests.Sbom;

/// <summary>
/// Runs tests/sbom-schema/validate.js (CycloneDX's own 1.5 JSON schema, from the npm package
/// @cyclonedx/cyclonedx-library, with ajv) on a document. Null when node or the packages are missing
/// (tests/install-reference-tools.sh installs them): the caller skips the check and says why.
/// </summary>
public static class CycloneDxSchema
{
    public static (bool Valid, string Output)? Validate(string repositoryRoot, string documentPath)
    {
        string directory = Path.Combine(repositoryRoot, "tests", "sbom-schema");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "ajv"))) return null;
        var start = new ProcessStartInfo("node", [Path.Combine(directory, "validate.js"), documentPath])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception) { return null; } // no node
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode == 0, stdout + stderr.Result);
        }
    }
}
