using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime.CompilerHelpers
{
    // Brings ILC's per-module tables to life at boot. The linker collects every module's header pointer
    // into the `__modules` section; each header is a ReadyToRun-style table of sections. Three matter
    // to the kernel: GC static bases (reference-type statics live in heap objects the start-up code must
    // allocate -- without that, static writes land next to a MethodTable: field notes, trap 2), eager
    // class constructors, and module initializers.
    public static unsafe class StartupCodeHelpers
    {
        private const uint ReadyToRunSignature = 0x00525452; // "RTR"
        private const int GCStaticRegion = 201;
        private const int EagerCctor = 205;
        private const int ModuleInitializerList = 213;
        private const int HasEndPointer = 0x1;

        // ILC always emits a thread-static region (and .tdata); the kernel has no thread statics, and the
        // linker rejects any code that would access one (TLS relocations), so it is ignored here.

        // Low bits of a GC static slot in the image: the MethodTable pointer still needs an object.
        private const nint GCStaticUninitialized = 0x1;
        private const nint GCStaticHasPreInitializedData = 0x2;
        private const nint GCStaticMask = 0x3;

        private struct ReadyToRunHeader
        {
            public uint Signature;
            public ushort MajorVersion;
            public ushort MinorVersion;
            public uint Flags;
            public ushort NumberOfSections;
            public byte EntrySize;
            public byte EntryType;
        }

        private struct ModuleSection
        {
            public int SectionId;
            public int Flags;
            public byte* Start;
            public byte* End;
        }

        /// <summary>Returns null on success, or what is wrong with the module table.</summary>
        public static string InitializeModules(nint* modulesStart, nint* modulesEnd)
        {
            for (int pass = 0; pass < 3; pass++)
            {
                for (nint* slot = modulesStart; slot < modulesEnd; slot++)
                {
                    // The section may contain padding between modules' entries.
                    if (*slot == 0) continue;
                    ReadyToRunHeader* header = (ReadyToRunHeader*)*slot;
                    if (header->Signature != ReadyToRunSignature) return "a __modules entry does not point to a ReadyToRun header";
                    if (header->EntrySize != sizeof(ModuleSection)) return "unexpected ReadyToRun section entry size";
                    ModuleSection* sections = (ModuleSection*)(header + 1);
                    for (int i = 0; i < header->NumberOfSections; i++)
                    {
                        ModuleSection* s = &sections[i];
                        if ((s->Flags & HasEndPointer) == 0) continue;
                        // Statics of every module first, then cctors, then initializers: a cctor may
                        // touch another module's statics.
                        if (pass == 0 && s->SectionId == GCStaticRegion) InitializeGCStatics(s->Start, s->End);
                        else if (pass == 1 && s->SectionId == EagerCctor) RunInitializers(s->Start, s->End);
                        else if (pass == 2 && s->SectionId == ModuleInitializerList) RunInitializers(s->Start, s->End);
                    }
                }
            }
            return null;
        }

        // ILC on x64 writes these tables as 32-bit self-relative pointers (target = field address +
        // field value), which keeps the image position independent and small.
        private static void* ReadRelativePointer(void* field) => (byte*)field + *(int*)field;

        private static void InitializeGCStatics(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
            {
                nint* staticBase = (nint*)ReadRelativePointer(entry);
                nint value = (nint)ReadRelativePointer(staticBase);
                if ((value & GCStaticUninitialized) == 0) continue;
                MethodTable* type = (MethodTable*)(value & ~GCStaticMask);
                object holder = System.Runtime.RuntimeExports.AllocateObjectOfSize(type, type->BaseSize);
                if ((value & GCStaticHasPreInitializedData) != 0)
                {
                    // ILC pre-computed the statics; the blob holds every field of the holder.
                    byte* preinitialized = (byte*)ReadRelativePointer((int*)staticBase + 1);
                    byte* fields = (byte*)Unsafe.AsPointer(ref holder.GetRawData());
                    SpanHelpers.MemoryMove(fields, preinitialized, type->BaseSize - 2 * (nuint)sizeof(void*));
                }
                // From now on the slot holds the holder object itself (its low bits are clear).
                *staticBase = (nint)Unsafe.AsPointer(ref holder.GetRawData()) - sizeof(void*);
            }
        }

        private static void RunInitializers(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
                ((delegate*<void>)ReadRelativePointer(entry))();
        }
    }
}
