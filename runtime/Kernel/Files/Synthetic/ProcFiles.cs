using Kernel.Arch;
using Kernel.Memory;

namespace Kernel.Files.Synthetic
{
    // /proc/meminfo from the page allocator: the .NET GC sizes its heap from MemTotal/MemAvailable
    // (sysinfo and _SC_PHYS_PAGES must agree with it). No swap, no page cache: available = free.
    // tmpfs content is counted as Shmem (and, as on Linux, as Cached).
    internal sealed unsafe class MemInfoFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            PageAllocator* pages = KernelMemory.Pages;
            ulong totalKb = pages->TotalPages * 4;
            ulong freeKb = pages->FreePageCount * 4;
            ulong shmemKb = Vfs.TmpFileSystem != null ? (Vfs.TmpFileSystem.UsedBytes + 1023) / 1024 : 0;
            Line(o, "MemTotal:", totalKb);
            Line(o, "MemFree:", freeKb);
            Line(o, "MemAvailable:", freeKb);
            Line(o, "Buffers:", 0);
            Line(o, "Cached:", shmemKb);
            Line(o, "SwapCached:", 0);
            Line(o, "SwapTotal:", 0);
            Line(o, "SwapFree:", 0);
            Line(o, "Shmem:", shmemKb);
            Line(o, "CommitLimit:", totalKb);
            o.Append("HugePages_Total:       0\nHugePages_Free:        0\n");
            Line(o, "Hugepagesize:", 2048);
        }

        // Linux's layout: the label padded to 16 columns, the number right-aligned in 8, then " kB".
        private static void Line(TextBuilder o, string label, ulong kb)
        {
            long start = o.Length;
            o.Append(label).PadTo(start, 16).AppendDecimal(kb, 8).Append(" kB\n");
        }
    }

    // /proc/cpuinfo: one block per online CPU, from CPUID (what this CPU reports; the CPUs of one machine differ only in
    // their APIC ids, which PerCpu has), in Linux's x86 format. The package and core ids come from the APIC id as
    // Linux derives them without leaf 0xB: CPUID.1:EBX[23:16] logical processors per package, rounded up to a power of two.
    internal sealed unsafe class CpuInfoFile : ContentGenerator
    {
        // Flag names by bit, as Linux prints them ("" = not shown).
        private const string Leaf1Edx = "fpu,vme,de,pse,tsc,msr,pae,mce,cx8,apic,,sep,mtrr,pge,mca,cmov,pat,pse36,pn,clflush,,dts,acpi,mmx,fxsr,sse,sse2,ss,ht,tm,ia64,pbe";
        private const string ExtendedEdx = ",,,,,,,,,,,syscall,,,,,,,,mp,nx,,mmxext,,,fxsr_opt,pdpe1gb,rdtscp,,lm,3dnowext,3dnow";
        private const string Leaf1Ecx = "pni,pclmulqdq,dtes64,monitor,ds_cpl,vmx,smx,est,tm2,ssse3,cid,sdbg,fma,cx16,xtpr,pdcm,,pcid,dca,sse4_1,sse4_2,x2apic,movbe,popcnt,tsc_deadline_timer,aes,xsave,,avx,f16c,rdrand,hypervisor";
        private const string ExtendedEcx = "lahf_lm,cmp_legacy,svm,extapic,cr8_legacy,abm,sse4a,misalignsse,3dnowprefetch,osvw,ibs,xop,skinit,wdt,,lwp,fma4,tce,,nodeid_msr,,tbm,topoext,perfctr_core,perfctr_nb,,bpext,ptsc,perfctr_llc,mwaitx,,";
        private const string Leaf7Ebx = "fsgsbase,tsc_adjust,sgx,bmi1,hle,avx2,,smep,bmi2,erms,invpcid,rtm,cqm,,mpx,rdt_a,avx512f,avx512dq,rdseed,adx,smap,avx512ifma,,clflushopt,clwb,intel_pt,avx512pf,avx512er,avx512cd,sha_ni,avx512bw,avx512vl";
        private const string Leaf7Ecx = ",avx512vbmi,umip,pku,ospke,waitpkg,avx512_vbmi2,,gfni,vaes,vpclmulqdq,avx512_vnni,avx512_bitalg,,avx512_vpopcntdq,,la57,,,,,,rdpid,,,cldemote,,movdiri,movdir64b,,,";

        public override void Generate(TextBuilder o)
        {
            uint* r = stackalloc uint[4];
            Cpu.CpuId(0, 0, r);
            uint maxBasic = r[0];
            Cpu.CpuId(1, 0, r);
            uint signature = r[0], misc = r[1], ecx1 = r[2], edx1 = r[3];
            uint family = (signature >> 8) & 0xF;
            uint model = (signature >> 4) & 0xF;
            if (family == 0xF) family += (signature >> 20) & 0xFF;
            if (family >= 6) model |= ((signature >> 16) & 0xF) << 4;
            Cpu.CpuId(0x80000000, 0, r);
            uint maxExtended = r[0];

            uint perPackage = 1;
            if ((edx1 & (1u << 28)) != 0)   // HTT: EBX[23:16] is valid
                while (perPackage < ((misc >> 16) & 0xFF)) perPackage <<= 1;
            for (int cpu = 0; cpu < PerCpu.Count; cpu++)
            {
                o.Append("processor\t: ").AppendDecimal((uint)cpu).Append('\n');
                o.Append("vendor_id\t: ").Append(CpuIdentity.Vendor).Append('\n');
                o.Append("cpu family\t: ").AppendDecimal(family).Append('\n');
                o.Append("model\t\t: ").AppendDecimal(model).Append('\n');
                o.Append("model name\t: ");
                AppendBrand(o, maxExtended);
                o.Append('\n');
                o.Append("stepping\t: ").AppendDecimal(signature & 0xF).Append('\n');
                if (maxBasic >= 0x16)
                {
                    Cpu.CpuId(0x16, 0, r);
                    if (r[0] != 0) o.Append("cpu MHz\t\t: ").AppendDecimal(r[0]).Append(".000\n");
                }
                ulong largestCache = 0;
                for (int i = 0; i < CpuCaches.Count; i++)
                    if (CpuCaches.Get(i).SizeBytes > largestCache) largestCache = CpuCaches.Get(i).SizeBytes;
                if (largestCache != 0) o.Append("cache size\t: ").AppendDecimal(largestCache >> 10).Append(" KB\n");
                uint apicId = PerCpu.ApicIdOf(cpu);
                uint package = apicId / perPackage;
                uint siblings = 0;
                for (int other = 0; other < PerCpu.Count; other++)
                    if (PerCpu.ApicIdOf(other) / perPackage == package) siblings++;
                o.Append("physical id\t: ").AppendDecimal(package).Append('\n');
                o.Append("siblings\t: ").AppendDecimal(siblings).Append('\n');
                o.Append("core id\t\t: ").AppendDecimal(apicId % perPackage).Append('\n');
                o.Append("cpu cores\t: ").AppendDecimal(siblings).Append('\n');
                o.Append("apicid\t\t: ").AppendDecimal(apicId).Append('\n');
                o.Append("initial apicid\t: ").AppendDecimal(apicId).Append('\n');
                o.Append("fpu\t\t: yes\nfpu_exception\t: yes\n");
                o.Append("cpuid level\t: ").AppendDecimal(maxBasic).Append('\n');
                o.Append("wp\t\t: yes\n");
                o.Append("flags\t\t:");
                uint extEcx = 0, extEdx = 0;
                if (maxExtended >= 0x80000001) { Cpu.CpuId(0x80000001, 0, r); extEcx = r[2]; extEdx = r[3]; }
                uint ebx7 = 0, ecx7 = 0;
                if (maxBasic >= 7) { Cpu.CpuId(7, 0, r); ebx7 = r[1]; ecx7 = r[2]; }
                AppendFlags(o, edx1, Leaf1Edx);
                AppendFlags(o, extEdx, ExtendedEdx);
                AppendFlags(o, ecx1, Leaf1Ecx);
                AppendFlags(o, extEcx, ExtendedEcx);
                AppendFlags(o, ebx7, Leaf7Ebx);
                AppendFlags(o, ecx7, Leaf7Ecx);
                o.Append('\n');
                uint clflush = ((misc >> 8) & 0xFF) * 8;
                o.Append("clflush size\t: ").AppendDecimal(clflush).Append('\n');
                o.Append("cache_alignment\t: ").AppendDecimal(clflush).Append('\n');
                if (maxExtended >= 0x80000008)
                {
                    Cpu.CpuId(0x80000008, 0, r);
                    o.Append("address sizes\t: ").AppendDecimal(r[0] & 0xFF).Append(" bits physical, ")
                     .AppendDecimal((r[0] >> 8) & 0xFF).Append(" bits virtual\n");
                }
                o.Append("power management:\n\n");
            }
        }

        private static void AppendBrand(TextBuilder o, uint maxExtended)
        {
            if (maxExtended < 0x80000004) { o.Append("unknown"); return; }
            byte* brand = stackalloc byte[49];
            for (uint leaf = 0; leaf < 3; leaf++) Cpu.CpuId(0x80000002 + leaf, 0, (uint*)(brand + leaf * 16));
            brand[48] = 0;
            int start = 0;
            while (start < 48 && brand[start] == ' ') start++;
            int end = start;
            while (end < 48 && brand[end] != 0) end++;
            while (end > start && brand[end - 1] == ' ') end--;
            o.Append(brand + start, end - start);
        }

        private static void AppendFlags(TextBuilder o, uint bits, string names)
        {
            int bit = 0;
            int start = 0;
            for (int i = 0; i <= names.Length; i++)
            {
                if (i < names.Length && names[i] != ',') continue;
                if (bit < 32 && (bits & (1u << bit)) != 0 && i > start)
                {
                    o.Append(' ');
                    for (int c = start; c < i; c++) o.Append(names[c]);
                }
                bit++;
                start = i + 1;
            }
        }
    }

    // /proc/self/mountinfo: one line per mounted file system, in mount order. No cgroup file system is
    // mounted (and /sys/fs/cgroup does not exist): the .NET runtime's cgroup code (gc/unix/cgroup.cpp,
    // nativeaot cgroupcpu.cpp) then finds no cgroup version and sizes the GC and the processor count from
    // the machine (/proc/meminfo, sched_getaffinity). Every line has the " - " separator it parses.
    internal sealed class MountInfoFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            for (int i = 0; i < Vfs.MountCount; i++)
            {
                SuperBlock fs = Vfs.MountAt(i);
                uint parent = i == 0 ? fs.MountId : Vfs.MountAt(0).MountId;
                o.AppendDecimal(fs.MountId).Append(' ').AppendDecimal(parent).Append(" 0:").AppendDecimal(fs.MountId)
                 .Append(" / ").Append(fs.MountPath).Append(' ');
                o.Append(fs.Writable ? "rw" : "ro");
                if ((fs.MountFlags & SuperBlock.MountNoSetUid) != 0) o.Append(",nosuid");
                if ((fs.MountFlags & SuperBlock.MountNoDevices) != 0) o.Append(",nodev");
                if ((fs.MountFlags & SuperBlock.MountNoExec) != 0) o.Append(",noexec");
                if ((fs.MountFlags & SuperBlock.MountRelativeAccessTime) != 0) o.Append(",relatime");
                o.Append(" - ").Append(fs.TypeName).Append(' ').Append(fs.TypeName).Append(' ').Append(fs.Writable ? "rw" : "ro");
                if (fs.CapacityBytes != 0) o.Append(",size=").AppendDecimal(fs.CapacityBytes >> 10).Append('k');
                o.Append('\n');
            }
        }
    }

    // /proc/self/statm (pages: size resident shared text lib data dt). The GC reads it only under a cgroup
    // memory limit; with one address space, "the process" is every page the allocator has handed out.
    internal sealed unsafe class StatmFile : ContentGenerator
    {
        public override void Generate(TextBuilder o)
        {
            PageAllocator* pages = KernelMemory.Pages;
            ulong used = pages->TotalPages - pages->FreePageCount;
            o.AppendDecimal(used).Append(' ').AppendDecimal(used).Append(" 0 0 0 ").AppendDecimal(used).Append(" 0\n");
        }
    }

    // /proc/self/maps. HOOK for the memory engineer: set Writer to a function that appends one line per
    // mapping of the app's address space ("start-end perms offset dev inode path"). Until then the file
    // is empty, which readers treat as "no information".
    internal sealed unsafe class ProcessMapsFile : ContentGenerator
    {
        public static delegate*<TextBuilder, void> Writer;

        public override void Generate(TextBuilder o)
        {
            if (Writer != null) Writer(o);
        }
    }
}
