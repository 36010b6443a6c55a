using System.Text;
using System.Text.RegularExpressions;

namespace Unikernel.Integration.Tests;

/// <summary>
/// The cloud's instance metadata as the third configuration source (docs/options.md, "Configuration at boot"): a
/// metadata server run here on the host (MetadataServer: AWS IMDSv2's token rule, GCE's Metadata-Flavor rule), reached
/// by the guest at 169.254.169.254 through `uk run --metadata` (QEMU's guestfwd), gives the app's environment and the
/// instance id, between fw_cfg and the command line in precedence; cloud-init's user data is recognised and skipped, a
/// malformed one reported and not applied, a server that never answers skipped after uk.cloud.wait.
/// samples/conformance's `environment` mode prints the whole environment.
/// </summary>
public class CloudMetadataTests
{
    private const string App = "conformance";

    [Fact]
    public async Task AwsImdsV2UserDataSitsBetweenFwCfgAndTheCommandLine()
    {
        using var dir = new TempDirectory();
        string image = BootConfigurationTests.LinkWithDefaults(dir, "A=image\nB=image\nC=image\nD=image\n");
        string envFile = dir.Write("fw.env", Encoding.UTF8.GetBytes("B=fw_cfg\nC=fw_cfg\nD=fw_cfg\n"));
        const string userData = "# uk-env: the app's settings\r\nC=cloud\r\n\r\n  D=cloud\r\nE=cloud value\r\nAPI_TOKEN=s3cret\r\n";
        using var server = new MetadataServer(MetadataStyle.Aws, userData);

        var (status, stdout, stderr) = await RunAsync(image, server, ["--env-file", envFile, "-e", "D=command line"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(["environment: A=image", "environment: API_TOKEN=s3cret", "environment: B=fw_cfg", "environment: C=cloud",
                      "environment: D=command line", "environment: E=cloud value"], EnvironmentLines(stdout));
        var kernel = Lines(stderr);
        Assert.Contains("uk: environment: 6 names; image 4, fw_cfg 3, aws metadata 4, command line 1", kernel);
        Assert.Contains("uk:   C from aws metadata, over fw_cfg", kernel);
        Assert.Contains("uk:   D from the command line, over aws metadata", kernel);
        Assert.Contains("uk:   E from aws metadata", kernel);
        Assert.Contains($"uk: instance {MetadataServer.AwsInstanceId} (aws metadata)", kernel);
        Assert.Single(kernel, l => l.StartsWith($"uk: cloud: aws metadata: instance {MetadataServer.AwsInstanceId}, user data {userData.Length} bytes, 4 entries (", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cret", stderr);
        Assert.Equal(["PUT /latest/api/token -> 200", "GET /latest/meta-data/instance-id -> 200", "GET /latest/user-data -> 200"], server.Log);

        // The server holds to IMDSv2's rule: without the token, 401.
        using var http = new HttpClient();
        var refused = await http.GetAsync($"http://127.0.0.1:{server.Port}/latest/user-data");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task GceMetadataIsFoundByItsFlavorAndSetsTheEnvironment()
    {
        const string userData = "GREETING=hello from gce\nOVERRIDDEN=gce\n";
        using var server = new MetadataServer(MetadataStyle.Gce, userData);

        var (status, stdout, stderr) = await RunAsync(AppImages.Image(App), server, ["-e", "OVERRIDDEN=command line"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(["environment: GREETING=hello from gce", "environment: OVERRIDDEN=command line"], EnvironmentLines(stdout));
        var kernel = Lines(stderr);
        Assert.Contains("uk: environment: 2 names; image none, fw_cfg none, gce metadata 2, command line 1", kernel);
        Assert.Contains("uk:   OVERRIDDEN from the command line, over gce metadata", kernel);
        Assert.Contains($"uk: instance {MetadataServer.GceInstanceId} (gce metadata)", kernel);
        Assert.Single(kernel, l => l.StartsWith($"uk: cloud: gce metadata: instance {MetadataServer.GceInstanceId}, attribute uk-env {userData.Length} bytes, 2 entries (", StringComparison.Ordinal));
        // uk.cloud=auto asks AWS's way first; GCE's server refuses it with its flavor, which sends the kernel GCE's way.
        Assert.Equal(["PUT /latest/api/token -> 403", "GET /computeMetadata/v1/instance/id -> 200", "GET /computeMetadata/v1/instance/attributes/uk-env -> 200"],
                     server.Log);

        using var http = new HttpClient();
        var refused = await http.GetAsync($"http://127.0.0.1:{server.Port}/computeMetadata/v1/instance/id");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task MalformedUserDataIsReportedWithItsLineAndNoneOfItApplied()
    {
        const string userData = "GOOD=1\nBAD NAME=x\nLATER=2\n";
        using var server = new MetadataServer(MetadataStyle.Aws, userData);

        var (status, stdout, stderr) = await RunAsync(AppImages.Image(App), server, ["-e", "KEPT=1"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(stdout));
        var kernel = Lines(stderr);
        Assert.Contains("uk: environment: aws metadata user data is malformed at line 2: the variable name contains whitespace; none of it is applied", kernel);
        Assert.Single(kernel, l => l.StartsWith($"uk: cloud: aws metadata: instance {MetadataServer.AwsInstanceId}, user data {userData.Length} bytes, not applied (", StringComparison.Ordinal));
        Assert.Contains("uk: environment: 1 names; image none, fw_cfg none, command line 1", kernel);
    }

    [Fact]
    public async Task CloudInitUserDataIsRecognisedAndSkipped()
    {
        using var server = new MetadataServer(MetadataStyle.Gce, "#cloud-config\npackages:\n  - nginx\n");

        var (status, stdout, stderr) = await RunAsync(AppImages.Image(App), server, ["-e", "KEPT=1"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(stdout));
        var kernel = Lines(stderr);
        Assert.Contains("uk: environment: gce metadata user data is cloud-init's (#cloud-config), not NAME=VALUE lines: skipped", kernel);
        Assert.Contains($"uk: instance {MetadataServer.GceInstanceId} (gce metadata)", kernel);
    }

    [Fact]
    public async Task AServerThatNeverAnswersIsSkippedAfterTheWaitInOneLine()
    {
        using var server = new MetadataServer(MetadataStyle.Silent, null);

        var (status, stdout, stderr) = await RunAsync(AppImages.Image(App), server, ["-k", "uk.cloud.wait=1", "-e", "KEPT=1"]);

        Assert.True(status == 0, stderr);
        Assert.Equal(["environment: KEPT=1"], EnvironmentLines(stdout));
        var cloud = Lines(stderr).Where(l => l.StartsWith("uk: cloud: ", StringComparison.Ordinal)).ToList();
        var match = Regex.Match(Assert.Single(cloud), @"^uk: cloud: no metadata server at 169\.254\.169\.254 \(no complete response in time, (\d+) ms, uk\.cloud\.wait=1\); skipped$");
        Assert.True(match.Success, cloud[0]);
        Assert.InRange(int.Parse(match.Groups[1].Value), 1000, 2500);
        Assert.Contains(Lines(stderr), l => Regex.IsMatch(l, "^uk: instance [0-9a-f]{16} \\(random\\)$"));
    }

    private static Task<(int Status, string Stdout, string Stderr)> RunAsync(string image, MetadataServer server, IEnumerable<string> options) =>
        BootConfigurationTests.RunUkAsync(["run", image, "--accel", "tcg", "--timeout", "60", "--metadata", server.Port.ToString(), .. options, "--", "environment"]);

    private static List<string> Lines(string text) => text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static List<string> EnvironmentLines(string stdout) =>
        Lines(stdout).Where(l => l.StartsWith("environment: ", StringComparison.Ordinal)).ToList();
}
