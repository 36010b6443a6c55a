using Kernel.Console;
using Kernel.Devices.Virtio;
using Kernel.Files.ConfigDrive;
using Kernel.Platform;

namespace Kernel.Boot.Cloud
{
    // A config drive as the cloud source: the first disk whose volume is labelled cidata (NoCloud) or config-2
    // (OpenStack) gives the user data and the instance id (Files/ConfigDrive/ConfigDriveLayout). cloud-init looks for a
    // local drive before it asks a metadata server, and so does CloudSources: a drive, when present, is the cloud
    // source even when it is broken (reported, none of it applied), and the metadata server is not waited for; uk.cloud,
    // which picks the metadata server's flavour, does not apply to a drive someone attached on purpose. Every
    // other disk is named once as ignored (a disk image booted by firmware is one). Lines:
    //   uk: config drive: vdb (iso9660, label cidata): instance iid-local01, user data 38 bytes
    //   uk: config drive: vdb (vfat, label cidata): meta-data: no instance-id in it; none of it is applied
    //   uk: disk: vda is not a config drive (iso9660, label DATA); ignored
    internal static unsafe class ConfigDriveSource
    {
        /// <summary>Set by Apply when a disk held a config drive (usable or not).</summary>
        public static bool Found;

        /// <summary>Reads the first config drive; the entries its user data gave, or -1 (no drive, no or unusable user data).</summary>
        public static int Apply()
        {
            Found = false;
            int entries = -1;
            for (int i = 0; i < VirtioBlock.Count; i++)
            {
                VirtioBlock disk = VirtioBlock.Get(i);
                ReadOnlyVolume volume = ReadOnlyVolume.Open(disk);
                ConfigDriveKind kind = ConfigDriveLayout.KindOf(volume);
                if (kind == ConfigDriveKind.None || Found)
                {
                    Ignored(disk, volume, kind != ConfigDriveKind.None);
                    continue;
                }
                Found = true;
                entries = Read(disk, volume, kind);
            }
            return entries;
        }

        private static int Read(VirtioBlock disk, ReadOnlyVolume volume, ConfigDriveKind kind)
        {
            ConfigDriveContents contents = ConfigDriveLayout.Read(volume, kind);
            KernelConsole.Prefix();
            KernelConsole.Write("config drive: ");
            disk.WriteName();
            KernelConsole.Write(" (");
            KernelConsole.Write(volume.Kind);
            KernelConsole.Write(", label ");
            KernelConsole.WriteEscaped(volume.Label, volume.LabelLength);
            KernelConsole.Write("): ");
            if (contents.Problem != null)
            {
                KernelConsole.Write(contents.ProblemFile);
                KernelConsole.Write(": ");
                KernelConsole.Write(contents.Problem);
                KernelConsole.WriteLine("; none of it is applied");
                return -1;
            }
            string source = kind == ConfigDriveKind.OpenStack ? "config drive (config-2)" : "config drive (cidata)";
            InstanceIdentity.SetFromCloud(contents.InstanceId, contents.InstanceIdLength, source);
            KernelConsole.Write("instance ");
            KernelConsole.WriteEscaped(contents.InstanceId, contents.InstanceIdLength);
            if (contents.UserData == null)
            {
                KernelConsole.WriteLine(", no user data");
                return -1;
            }
            KernelConsole.Write(", user data ");
            KernelConsole.WriteDecimal((ulong)contents.UserDataLength);
            KernelConsole.WriteLine(" bytes");
            int entries = BootEnvironment.AddUserData(contents.UserData, contents.UserDataLength, source);
            FileMemory.Free(contents.UserData);
            return entries;
        }

        private static void Ignored(VirtioBlock disk, ReadOnlyVolume volume, bool second)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("disk: ");
            disk.WriteName();
            if (second) KernelConsole.Write(" is a second config drive (");
            else KernelConsole.Write(" is not a config drive (");
            if (volume == null) KernelConsole.Write("no ISO 9660 or FAT file system");
            else
            {
                KernelConsole.Write(volume.Kind);
                KernelConsole.Write(", label ");
                if (volume.LabelLength == 0) KernelConsole.Write("none");
                else KernelConsole.WriteEscaped(volume.Label, volume.LabelLength);
            }
            KernelConsole.WriteLine("); ignored");
        }
    }
}
