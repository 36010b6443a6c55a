using Kernel.Memory;

namespace Kernel.Boot
{
    // Which machine this is, for the boot report and every shipped log line. A cloud source (instance metadata or a
    // config drive) knows the provider's id and gives it with SetFromCloud; otherwise uk.instance=ID names the machine
    // (what `uk deploy` gives each instance); otherwise 16 random hex digits drawn at boot, so two instances of the
    // same image are never mixed up in a collector.
    internal static unsafe class InstanceIdentity
    {
        public const string Option = "uk.instance";
        public const int MaxLength = 128;

        private static byte* s_id;
        private static int s_length;
        private static string s_origin;

        /// <summary>The id's bytes (printable ASCII), never null once Assign has run.</summary>
        public static byte* Id => s_id;
        public static int Length => s_length;

        /// <summary>Takes the cloud's instance id; bytes outside printable ASCII become '_' (it ends up in log headers).</summary>
        public static void SetFromCloud(byte* id, int length, string source = "the cloud")
        {
            if (length <= 0) return;
            Store(id, length);
            s_origin = source;
        }

        /// <summary>Gives the machine an id if no cloud source did: uk.instance=ID, else a random one.</summary>
        public static void Assign()
        {
            if (s_id != null) return;
            int length;
            byte* option = BootCommandLine.Option(Option, out length);
            if (option != null && length > 0)
            {
                Store(option, length);
                s_origin = Option;
                return;
            }
            byte* random = stackalloc byte[8];
            Entropy.Random.Fill(random, 8);
            byte* hex = stackalloc byte[16];
            for (int i = 0; i < 8; i++)
            {
                hex[2 * i] = HexDigit(random[i] >> 4);
                hex[2 * i + 1] = HexDigit(random[i] & 0xF);
            }
            Store(hex, 16);
            s_origin = "random";
        }

        /// <summary>The boot report's "instance" line: the id and where it came from.</summary>
        public static void Report()
        {
            Console.KernelConsole.Prefix();
            Console.KernelConsole.Write("instance ");
            Console.KernelConsole.WriteBytes(s_id, s_length);
            Console.KernelConsole.Write(" (");
            Console.KernelConsole.Write(s_origin);
            Console.KernelConsole.WriteLine(")");
        }

        private static void Store(byte* id, int length)
        {
            if (length > MaxLength) length = MaxLength;
            byte* copy = (byte*)KernelMemory.AllocateZeroed((nuint)(length + 1));
            for (int i = 0; i < length; i++) copy[i] = id[i] > 0x20 && id[i] < 0x7F ? id[i] : (byte)'_';
            s_id = copy;
            s_length = length;
        }

        private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
