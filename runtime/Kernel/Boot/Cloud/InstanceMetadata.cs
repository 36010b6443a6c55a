namespace Kernel.Boot.Cloud
{
    // The instance metadata server at 169.254.169.254 (AWS IMDSv2, GCE): being written on branch wt/metadata.
    internal static class InstanceMetadata
    {
        public static int Apply() => -1;
    }
}
