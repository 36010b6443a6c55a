namespace Kernel.Boot.Cloud
{
    // The cloud's configuration sources, the third in BootEnvironment's order (after the image's defaults and fw_cfg,
    // before the kernel command line): a config drive (ConfigDriveSource: NoCloud cidata, OpenStack config-2), else the
    // instance metadata server (InstanceMetadata: AWS IMDSv2, GCE) -- cloud-init's order: the local drive, when there is
    // one, is the source and the network is not waited for. The source's instance id names the machine
    // (InstanceIdentity.SetFromCloud).
    internal static class CloudSources
    {
        /// <summary>Runs the sources; the entries the cloud's user data gave, or -1 when none did (each source reports its own line).</summary>
        public static int Apply()
        {
            int fromDrive = ConfigDriveSource.Apply();
            return ConfigDriveSource.Found ? fromDrive : InstanceMetadata.Apply();
        }
    }
}
