using Kernel.Boot;

namespace Kernel.Logs
{
    // Who a shipped line is from: the image's app name and version (uk_image_info: the SDK writes $(AssemblyName) and
    // $(Version)) and the machine's instance id (InstanceIdentity, which cloud sources may set late in boot, so it is
    // read when a line is formatted, not captured here).
    internal static unsafe class LogIdentity
    {
        public static byte* Name, Version;
        public static int NameLength, VersionLength;

        public static void Capture(BootInfo* boot)
        {
            byte* name, version;
            int nameLength, versionLength;
            if (!ImageInfo.Find(boot, out name, out nameLength, out version, out versionLength)) return;
            Name = name; NameLength = nameLength;
            Version = version; VersionLength = versionLength;
        }

        public static bool HasInstance => InstanceIdentity.Id != null;
        public static byte* Instance => InstanceIdentity.Id;
        public static int InstanceLength => InstanceIdentity.Length;
    }
}
