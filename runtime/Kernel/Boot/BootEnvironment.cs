using Kernel.Console;
using Kernel.Memory;

namespace Kernel.Boot
{
    internal enum EnvironmentSource : byte
    {
        None,
        /// <summary>Defaults baked in at publish (UnikernelEnvironment items; a file of the image's uk_files).</summary>
        Image,
        /// <summary>QEMU's fw_cfg file opt/uk/env (what `uk run --env-file` writes).</summary>
        FirmwareConfig,
        /// <summary>The cloud's user data (UserData's env-file text): instance metadata or a config drive, named by BootEnvironment.CloudSourceName.</summary>
        Cloud,
        /// <summary>NAME=VALUE or uk.env=NAME=VALUE words of the kernel command line.</summary>
        CommandLine,
    }

    // The app's environment, from the local configuration sources in order, a later one overriding an earlier one name
    // by name (docs/options.md, "Configuration at boot"):
    //   1. the image's defaults: /etc/uk/environ in uk_files, which uk-ld writes from --env-file (the SDK's
    //      UnikernelEnvironment items);
    //   2. QEMU's fw_cfg file opt/uk/env;
    //   3. the cloud's user data (Cloud/CloudSources: instance metadata, a config drive);
    //   4. the kernel command line.
    // The first two are environment blocks (EnvironmentBlock: NAME=VALUE entries, each ended by NUL), the third env-file
    // text (UserData), each checked whole: a malformed one is reported in one line and none of it is applied. An overridden entry keeps its place and takes
    // the new value, as setenv does. The report names each name and its source, never a value, unless uk.report.values=1
    // asks for the values of names that do not look secret (EnvironmentBlock.LooksSecret).
    internal static unsafe class BootEnvironment
    {
        public const string ImageDefaultsPath = "/etc/uk/environ";
        public const string FirmwareConfigFile = "opt/uk/env";
        public const string ReportValuesOption = "uk.report.values";
        private const int MaxEntries = EnvironmentBlock.MaxEntries * 2 + CommandLineParser.MaxTokens;

        /// <summary>Each entry's NAME=VALUE bytes (not NUL-terminated: see Lengths), in environment order.</summary>
        public static byte** Entries;
        public static int* Lengths;
        private static int* s_nameLengths;
        private static EnvironmentSource* s_sources, s_overridden;
        public static int Count;

        /// <summary>Gathers the sources and reports them; call once the image's file system is attached.</summary>
        public static void Assemble()
        {
            Entries = (byte**)KernelMemory.AllocateZeroed((nuint)(sizeof(byte*) * MaxEntries));
            Lengths = (int*)KernelMemory.AllocateZeroed((nuint)(sizeof(int) * MaxEntries));
            s_nameLengths = (int*)KernelMemory.AllocateZeroed((nuint)(sizeof(int) * MaxEntries));
            s_sources = (EnvironmentSource*)KernelMemory.AllocateZeroed(MaxEntries);
            s_overridden = (EnvironmentSource*)KernelMemory.AllocateZeroed(MaxEntries);
            Count = 0;

            ulong imageSize;
            byte* image = Files.Image.ImageFileSystem.FindFile(ImageDefaultsPath, out imageSize);
            int fromImage = image == null ? 0 : AddBlock(image, imageSize, EnvironmentSource.Image);

            int fromFirmware = AddFirmwareConfig();

            CloudSourceName = null;
            int fromCloud = Cloud.CloudSources.Apply();

            int fromCommandLine = 0;
            for (int i = 0; i < BootCommandLine.Count; i++)
            {
                CommandLineToken* t = &BootCommandLine.Tokens[i];
                if (t->Kind != CommandLineTokenKind.Environment) continue;
                Add(BootCommandLine.Text + t->Start, t->Length, t->NameLength, EnvironmentSource.CommandLine);
                fromCommandLine++;
            }
            Report(fromImage, image != null, fromFirmware, fromCloud, fromCommandLine);
        }

        // -1: the source is absent; otherwise the entries it gave (0 when it was malformed and reported).
        private static int AddFirmwareConfig()
        {
            ushort selector;
            uint size;
            if (!FirmwareConfig.FindFile(FirmwareConfigFile, out selector, out size)) return -1;
            if (size > EnvironmentBlock.MaxBytes)
            {
                Rejected("fw_cfg " + FirmwareConfigFile, EnvironmentBlockError.TooLarge, 0);
                return 0;
            }
            // Kept for the kernel's life: the entries point into it until the app's stack holds copies.
            byte* data = (byte*)KernelMemory.AllocateZeroed(size + 1);
            FirmwareConfig.Read(selector, data, (int)size);
            return AddBlock(data, size, EnvironmentSource.FirmwareConfig);
        }

        /// <summary>The cloud source that gave user data, as the report names it ("aws metadata", "config drive"); null: none.</summary>
        public static string CloudSourceName;

        /// <summary>
        /// Applies a cloud source's user data (<paramref name="text"/>, UserData's format) as the cloud source, named
        /// <paramref name="sourceName"/> in the report. Returns the entries it gave, or -1 when it gave none: cloud-init's
        /// user data (skipped) or malformed (none of it applied), each reported in one line. The text may be freed after.
        /// </summary>
        public static int AddUserData(byte* text, int length, string sourceName)
        {
            string cloudInit = UserData.CloudInitFormat(text, length);
            if (cloudInit != null)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("environment: ");
                KernelConsole.Write(sourceName);
                KernelConsole.Write(" user data is cloud-init's (");
                KernelConsole.Write(cloudInit);
                KernelConsole.WriteLine("), not NAME=VALUE lines: skipped");
                return -1;
            }
            // Kept for the kernel's life: the entries point into it until the app's stack holds copies.
            byte* block = (byte*)KernelMemory.AllocateZeroed((nuint)(length + 1));
            int blockLength, line;
            UserDataError error;
            int count = UserData.ToEnvironmentBlock(text, length, block, out blockLength, out error, out line);
            if (count < 0)
            {
                KernelMemory.FreeBlock(block);
                KernelConsole.Prefix();
                KernelConsole.Write("environment: ");
                KernelConsole.Write(sourceName);
                KernelConsole.Write(" user data is malformed");
                if (line > 0)
                {
                    KernelConsole.Write(" at line ");
                    KernelConsole.WriteDecimal((ulong)line);
                }
                KernelConsole.Write(": ");
                KernelConsole.Write(UserData.Describe(error));
                KernelConsole.WriteLine("; none of it is applied");
                return -1;
            }
            CloudSourceName = sourceName;
            int start = 0;
            for (int i = 0; i < count; i++)
            {
                int end = start;
                while (block[end] != 0) end++;
                Add(block + start, end - start, EnvironmentBlock.NameLength(block + start, end - start), EnvironmentSource.Cloud);
                start = end + 1;
            }
            return count;
        }

        private static int AddBlock(byte* data, ulong size, EnvironmentSource source)
        {
            EnvironmentBlockError error;
            int offset;
            int count = EnvironmentBlock.Validate(data, size > (ulong)EnvironmentBlock.MaxBytes ? EnvironmentBlock.MaxBytes + 1 : (int)size, out error, out offset);
            if (count < 0)
            {
                Rejected(source == EnvironmentSource.Image ? "the image's " + ImageDefaultsPath : "fw_cfg " + FirmwareConfigFile, error, offset);
                return 0;
            }
            int start = 0;
            for (int i = 0; i < count; i++)
            {
                int end = start;
                while (data[end] != 0) end++;
                Add(data + start, end - start, EnvironmentBlock.NameLength(data + start, end - start), source);
                start = end + 1;
            }
            return count;
        }

        private static void Add(byte* entry, int length, int nameLength, EnvironmentSource source)
        {
            for (int i = 0; i < Count; i++)
            {
                if (s_nameLengths[i] != nameLength || !SameBytes(Entries[i], entry, nameLength)) continue;
                if (s_sources[i] != source) s_overridden[i] = s_sources[i];
                Entries[i] = entry;
                Lengths[i] = length;
                s_sources[i] = source;
                return;
            }
            if (Count == MaxEntries) return;   // cannot happen: each source is bounded, and MaxEntries is their sum
            Entries[Count] = entry;
            Lengths[Count] = length;
            s_nameLengths[Count] = nameLength;
            s_sources[Count] = source;
            Count++;
        }

        private static void Rejected(string what, EnvironmentBlockError error, int offset)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("environment: ");
            KernelConsole.Write(what);
            KernelConsole.Write(" is malformed at byte ");
            KernelConsole.WriteDecimal((ulong)offset);
            KernelConsole.Write(": ");
            KernelConsole.Write(EnvironmentBlock.Describe(error));
            KernelConsole.WriteLine("; none of it is applied");
        }

        private static void Report(int fromImage, bool imageHasDefaults, int fromFirmware, int fromCloud, int fromCommandLine)
        {
            KernelConsole.Prefix();
            KernelConsole.Write("environment: ");
            KernelConsole.WriteDecimal((ulong)Count);
            KernelConsole.Write(" names; image ");
            if (imageHasDefaults) KernelConsole.WriteDecimal((ulong)fromImage); else KernelConsole.Write("none");
            KernelConsole.Write(", fw_cfg ");
            if (fromFirmware >= 0) KernelConsole.WriteDecimal((ulong)fromFirmware); else KernelConsole.Write("none");
            if (fromCloud >= 0 && CloudSourceName != null)   // named only when one gave entries: its own line says the rest
            {
                KernelConsole.Write(", ");
                KernelConsole.Write(CloudSourceName);
                KernelConsole.Write(" ");
                KernelConsole.WriteDecimal((ulong)fromCloud);
            }
            KernelConsole.Write(", command line ");
            KernelConsole.WriteDecimal((ulong)fromCommandLine);
            KernelConsole.WriteLine();

            bool values = BootCommandLine.OptionEquals(ReportValuesOption, "1");
            for (int i = 0; i < Count; i++)
            {
                KernelConsole.Prefix();
                KernelConsole.Write("  ");
                KernelConsole.WriteEscaped(Entries[i], s_nameLengths[i]);
                if (values)
                {
                    if (EnvironmentBlock.LooksSecret(Entries[i], s_nameLengths[i])) KernelConsole.Write(" (value hidden: the name looks secret)");
                    else
                    {
                        KernelConsole.Write("=");
                        KernelConsole.WriteEscaped(Entries[i] + s_nameLengths[i] + 1, Lengths[i] - s_nameLengths[i] - 1);
                    }
                }
                KernelConsole.Write(" from ");
                KernelConsole.Write(SourceName(s_sources[i]));
                if (s_overridden[i] != EnvironmentSource.None)
                {
                    KernelConsole.Write(", over ");
                    KernelConsole.Write(SourceName(s_overridden[i]));
                }
                KernelConsole.WriteLine();
            }
        }

        private static string SourceName(EnvironmentSource source)
        {
            if (source == EnvironmentSource.Image) return "the image";
            if (source == EnvironmentSource.FirmwareConfig) return "fw_cfg";
            if (source == EnvironmentSource.Cloud) return CloudSourceName;
            if (source == EnvironmentSource.None) return "the kernel";
            return "the command line";
        }

        /// <summary>Whether some source set the name (its bytes, without '=').</summary>
        public static bool Contains(byte* name, int nameLength)
        {
            for (int i = 0; i < Count; i++)
                if (s_nameLengths[i] == nameLength && SameBytes(Entries[i], name, nameLength)) return true;
            return false;
        }

        /// <summary>A default of the kernel's own (RuntimeMemoryDefaults), after the sources: only for a name none of them set.
        /// The entry's bytes must live as long as the kernel. Its source is None: no configuration source, the kernel.</summary>
        public static void AddKernelDefault(byte* entry, int length, int nameLength)
        {
            if (Entries == null || Count == MaxEntries || Contains(entry, nameLength)) return;
            Add(entry, length, nameLength, EnvironmentSource.None);
        }

        private static bool SameBytes(byte* a, byte* b, int length)
        {
            for (int i = 0; i < length; i++)
                if (a[i] != b[i]) return false;
            return true;
        }
    }
}
