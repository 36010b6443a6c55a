using Unikernel.Tools.Export;

namespace Unikernel.Tools.Tests.Export;

/// <summary>The VirtualMachine's YAML, read back line by line (it is block YAML with two-space indentation, no anchors).</summary>
public class KubeVirtMachineTests
{
    private static string Machine(ExportFirmware firmware = ExportFirmware.Uefi, string image = "registry.example.com/apps/hello:1.0")
        => KubeVirtMachine.Build(ExportTestSupport.Machine(), new() { Firmware = firmware, Image = image });

    /// <summary>The value at a path of keys ("spec.template.spec.domain.machine.type"), following list items' first keys too.</summary>
    private static string? Value(string yaml, string path)
    {
        var keys = path.Split('.');
        int k = 0, indent = -1;
        foreach (var raw in yaml.Split('\n'))
        {
            if (raw.TrimStart().StartsWith('#') || raw.Trim().Length == 0) continue;
            string line = raw.Replace("- ", "  ");
            int lineIndent = line.Length - line.TrimStart().Length;
            if (lineIndent <= indent) return null;
            string trimmed = line.Trim();
            if (!trimmed.StartsWith(keys[k] + ":", StringComparison.Ordinal)) continue;
            string rest = trimmed[(keys[k].Length + 1)..].Trim();
            if (++k == keys.Length) return rest;
            indent = lineIndent;
        }
        return null;
    }

    [Fact]
    public void ItIsAVirtualMachineOfKubevirtV1()
    {
        string yaml = Machine();
        Assert.Equal("kubevirt.io/v1", Value(yaml, "apiVersion"));
        Assert.Equal("VirtualMachine", Value(yaml, "kind"));
        Assert.Equal("hello", Value(yaml, "metadata.name"));
        Assert.Equal("Always", Value(yaml, "spec.runStrategy"));
        Assert.DoesNotContain("\t", yaml);
    }

    [Fact]
    public void TheContainerDiskIsTheBootDiskOnVirtio()
    {
        string yaml = Machine();
        Assert.Contains("        - name: image\n          containerDisk:\n            image: \"registry.example.com/apps/hello:1.0\"\n", yaml);
        Assert.Contains("            - name: image\n              bootOrder: 1\n              disk:\n                bus: virtio\n", yaml);
    }

    [Fact]
    public void UefiIsWithoutSecureBootAndBiosIsSeaBios()
    {
        Assert.Equal("false", Value(Machine(), "spec.template.spec.domain.firmware.bootloader.efi.secureBoot"));
        Assert.Equal("{}", Value(Machine(ExportFirmware.Bios), "spec.template.spec.domain.firmware.bootloader.bios"));
        Assert.Equal("q35", Value(Machine(), "spec.template.spec.domain.machine.type"));
        Assert.Throws<ArgumentException>(() => Machine(ExportFirmware.None));
    }

    [Fact]
    public void SizesComeFromTheMachine()
    {
        string yaml = Machine();
        Assert.Equal("2", Value(yaml, "spec.template.spec.domain.cpu.cores"));
        Assert.Equal("256Mi", Value(yaml, "spec.template.spec.domain.memory.guest"));
    }

    [Fact]
    public void TheCardIsVirtioOnThePodNetworkAtBusZero()
    {
        string yaml = Machine();
        Assert.Contains("            - name: default\n              model: virtio\n              masquerade: {}\n              pciAddress: \"0000:00:02.0\"\n", yaml);
        Assert.Contains("      networks:\n        - name: default\n          pod: {}\n", yaml);
    }

    [Theory]
    [InlineData("hello:latest")]                          // no registry: a cluster would pull docker.io/library/hello
    [InlineData("registry.example.com/apps/hello")]       // no tag
    [InlineData("registry.example.com/Apps/hello:1")]     // upper case in the repository
    [InlineData("registry.example.com/apps/hello@sha256:00")]
    public void ImageReferencesWithoutRegistryOrTagAreRefused(string reference)
    {
        Assert.NotNull(KubeVirtMachine.ImageProblem(reference));
        Assert.Throws<ArgumentException>(() => Machine(image: reference));
    }

    [Theory]
    [InlineData("localhost:5000/hello:latest", "latest")]
    [InlineData("quay.io/acme/apps/hello:1.0.3", "1.0.3")]
    public void TheTagIsWhatFollowsTheLastColon(string reference, string tag)
    {
        Assert.Null(KubeVirtMachine.ImageProblem(reference));
        Assert.Equal(tag, KubeVirtMachine.Tag(reference));
    }
}

/// <summary>The same YAML read by a real YAML parser (PyYAML, Debian python3-yaml), compared with the intended object.</summary>
public class KubeVirtMachineYamlTests
{
    [SkippableFact]
    public void AYamlParserReadsTheIntendedObject()
    {
        Skip.IfNot(ExportTestSupport.Installed("/usr/lib/python3/dist-packages/yaml/__init__.py"), "PyYAML is not installed (Debian python3-yaml; make setup installs it)");
        using var dir = new TempDirectory();
        string file = dir.File("vm.yaml");
        File.WriteAllText(file, KubeVirtMachine.Build(ExportTestSupport.Machine(), new() { Firmware = ExportFirmware.Uefi, Image = "localhost:5000/hello:latest" }));
        var (status, output, error) = ExportTestSupport.Run("/usr/bin/python3",
            ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), sort_keys=True))", file]);
        Assert.True(status == 0, error);
        const string expected = """
            {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"labels": {"app.kubernetes.io/name": "hello"}, "name": "hello"},
             "spec": {"runStrategy": "Always", "template": {"metadata": {"labels": {"kubevirt.io/domain": "hello"}}, "spec": {
               "domain": {"cpu": {"cores": 2},
                          "devices": {"autoattachGraphicsDevice": false, "autoattachMemBalloon": false, "autoattachSerialConsole": true,
                                      "disks": [{"bootOrder": 1, "disk": {"bus": "virtio"}, "name": "image"}],
                                      "interfaces": [{"masquerade": {}, "model": "virtio", "name": "default", "pciAddress": "0000:00:02.0"}]},
                          "firmware": {"bootloader": {"efi": {"secureBoot": false}}}, "machine": {"type": "q35"}, "memory": {"guest": "256Mi"}},
               "networks": [{"name": "default", "pod": {}}],
               "volumes": [{"containerDisk": {"image": "localhost:5000/hello:latest"}, "name": "image"}]}}}}
            """;
        Assert.Equal(Normalize(expected), Normalize(output));
    }

    private static string Normalize(string json) => System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(json).RootElement);
}
