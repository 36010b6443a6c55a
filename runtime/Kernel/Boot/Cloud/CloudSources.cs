namespace Kernel.Boot.Cloud
{
    // The cloud's configuration sources, the third in BootEnvironment's order (after the image's defaults and fw_cfg,
    // before the kernel command line): the instance metadata server (InstanceMetadata: AWS IMDSv2, GCE). The first
    // that gives user data is the cloud source; its instance id names the machine (InstanceIdentity.SetFromCloud).
    internal static class CloudSources
    {
        /// <summary>Runs the sources; the entries the cloud's user data gave, or -1 when none did (each source reports its own line).</summary>
        public static int Apply() => InstanceMetadata.Apply();
    }
}
