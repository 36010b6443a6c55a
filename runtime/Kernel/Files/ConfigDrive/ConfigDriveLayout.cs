namespace Kernel.Files.ConfigDrive
{
    internal enum ConfigDriveKind : byte
    {
        None,
        /// <summary>cloud-init's NoCloud seed: label cidata, /user-data and /meta-data (YAML, "instance-id: ...").</summary>
        NoCloud,
        /// <summary>OpenStack's config drive: label config-2, /openstack/latest/user_data and meta_data.json ("uuid": "...").</summary>
        OpenStack,
    }

    // What a config drive holds and where, as cloud-init's DataSourceNoCloud and DataSourceConfigDrive read them: the
    // volume label says which layout it is (compared ignoring case, as cloud-init accepts both "cidata" and "CIDATA"),
    // the layout where the user data and the instance id are. The user data is returned as it is; what it means is the
    // cloud source's user-data format (the same as the metadata server's). Both meta-data files are read for one value,
    // so a key scanner that takes YAML's `key: value` and JSON's `"key": "value"` stands in for either parser.
    internal static unsafe class ConfigDriveLayout
    {
        public const string NoCloudLabel = "cidata", OpenStackLabel = "config-2";
        /// <summary>The largest user-data or meta-data file read (EC2 caps user data at 16 KiB; OpenStack at 64 KiB).</summary>
        public const int MaxFileBytes = 64 * 1024;

        public static ConfigDriveKind KindOf(ReadOnlyVolume volume)
        {
            if (volume == null) return ConfigDriveKind.None;
            if (volume.LabelIs(NoCloudLabel)) return ConfigDriveKind.NoCloud;
            if (volume.LabelIs(OpenStackLabel)) return ConfigDriveKind.OpenStack;
            return ConfigDriveKind.None;
        }

        public static string LabelOf(ConfigDriveKind kind) => kind == ConfigDriveKind.OpenStack ? OpenStackLabel : NoCloudLabel;
        public static string UserDataPath(ConfigDriveKind kind) => kind == ConfigDriveKind.OpenStack ? "openstack/latest/user_data" : "user-data";
        public static string MetaDataPath(ConfigDriveKind kind) => kind == ConfigDriveKind.OpenStack ? "openstack/latest/meta_data.json" : "meta-data";
        public static string InstanceIdKey(ConfigDriveKind kind) => kind == ConfigDriveKind.OpenStack ? "uuid" : "instance-id";

        /// <summary>
        /// Reads the drive's user data and instance id. A missing user-data file is no problem (a drive may carry only
        /// an identity); an unreadable one is, and so is a meta-data file without the instance id (cloud-init requires it).
        /// </summary>
        public static ConfigDriveContents Read(ReadOnlyVolume volume, ConfigDriveKind kind)
        {
            var contents = new ConfigDriveContents();
            contents.Kind = kind;
            string problem;
            contents.UserData = volume.ReadFile(UserDataPath(kind), MaxFileBytes, out contents.UserDataLength, out problem);
            if (problem != null) { contents.Fail(UserDataPath(kind), problem); return contents; }

            string metaPath = MetaDataPath(kind);
            int metaLength;
            byte* meta = volume.ReadFile(metaPath, MaxFileBytes, out metaLength, out problem);
            if (problem != null) { contents.Fail(metaPath, problem); return contents; }
            if (meta == null) { contents.Fail(metaPath, "the file is missing"); return contents; }
            int start, length;
            if (!FindValue(meta, metaLength, InstanceIdKey(kind), out start, out length))
            {
                contents.Fail(metaPath, kind == ConfigDriveKind.OpenStack ? "no \"uuid\" in it" : "no instance-id in it");
                return contents;
            }
            contents.InstanceId = meta + start;
            contents.InstanceIdLength = length;
            return contents;
        }

        /// <summary>
        /// The value of <paramref name="key"/> in YAML (`key: value`, `'key': "value"`) or JSON (`"key": "value"`) text,
        /// wherever the key stands as a whole word followed by a colon; a quoted value runs to its closing quote, a plain
        /// one to the end of the line, a ',' or '}' (JSON), or a " #" comment, trailing blanks dropped. False when absent
        /// or empty.
        /// </summary>
        public static bool FindValue(byte* text, int length, string key, out int start, out int valueLength)
        {
            start = 0;
            valueLength = 0;
            for (int i = 0; i + key.Length <= length; i++)
            {
                if (!KeyAt(text, length, i, key)) continue;
                int p = i + key.Length;
                if (p < length && (text[p] == '"' || text[p] == '\'')) p++;
                while (p < length && (text[p] == ' ' || text[p] == '\t')) p++;
                if (p >= length || text[p] != ':') continue;
                p++;
                while (p < length && (text[p] == ' ' || text[p] == '\t')) p++;
                if (p < length && (text[p] == '"' || text[p] == '\''))
                {
                    byte quote = text[p++];
                    int end = p;
                    while (end < length && text[end] != quote && text[end] != '\n') end++;
                    if (end >= length || text[end] != quote) return false;
                    start = p;
                    valueLength = end - p;
                    return valueLength > 0;
                }
                int stop = p;
                while (stop < length && text[stop] != '\n' && text[stop] != '\r' && text[stop] != ',' && text[stop] != '}'
                       && !(text[stop] == '#' && stop > p && (text[stop - 1] == ' ' || text[stop - 1] == '\t'))) stop++;
                while (stop > p && (text[stop - 1] == ' ' || text[stop - 1] == '\t')) stop--;
                start = p;
                valueLength = stop - p;
                return valueLength > 0;
            }
            return false;
        }

        // The key at i, standing alone: after the text's start, a line break, a blank, '{', ',' or an opening quote.
        private static bool KeyAt(byte* text, int length, int i, string key)
        {
            for (int k = 0; k < key.Length; k++)
                if (text[i + k] != key[k]) return false;
            if (i == 0) return true;
            byte before = text[i - 1];
            if (before == '"' || before == '\'') before = i >= 2 ? text[i - 2] : (byte)'\n';
            return before == '\n' || before == '\r' || before == ' ' || before == '\t' || before == '{' || before == ',';
        }
    }

    /// <summary>What a config drive gave: its kind, the user data (null when the drive has none), the instance id, or a problem.</summary>
    internal sealed unsafe class ConfigDriveContents
    {
        public ConfigDriveKind Kind;
        public byte* UserData;
        public int UserDataLength;
        public byte* InstanceId;
        public int InstanceIdLength;
        /// <summary>The file the problem is in, and the problem; both null when the drive was read.</summary>
        public string ProblemFile, Problem;

        public void Fail(string file, string problem)
        {
            ProblemFile = file;
            Problem = problem;
        }
    }
}
