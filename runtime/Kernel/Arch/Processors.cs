namespace Kernel.Arch
{
    // The running processors: index 0 is the bootstrap processor (BSP), 1.. the application processors in
    // the order they came up, each known by its local APIC ID. Only the BSP until ApplicationProcessors.Start
    // brings the others up one at a time, so the indices below Online are exactly the running CPUs (an AP
    // that does not come up leaves no gap).
    internal static class Processors
    {
        public const int MaxCpus = 64;

        private static readonly uint[] s_apicIds = new uint[MaxCpus];
        private static volatile int s_online = 1;

        /// <summary>CPUs running kernel code; 1 until the APs start.</summary>
        public static int Online => s_online;

        public static uint ApicIdOf(int index) => s_apicIds[index];

        /// <summary>Gives <paramref name="index"/> (the next one, Online) to the CPU about to be started, or
        /// to the BSP (index 0).</summary>
        public static void Assign(int index, uint apicId) => s_apicIds[index] = apicId;

        /// <summary>The index of the CPU whose APIC ID is <paramref name="apicId"/>, or -1.</summary>
        public static int IndexOf(uint apicId)
        {
            for (int i = 0; i < s_online; i++)
                if (s_apicIds[i] == apicId) return i;
            return -1;
        }

        /// <summary>CPU <paramref name="index"/> (== Online) runs kernel code now.</summary>
        public static void MarkOnline(int index) => s_online = index + 1;
    }
}
