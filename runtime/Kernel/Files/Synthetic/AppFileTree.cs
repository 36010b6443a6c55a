using Kernel.Arch;
using Kernel.LinuxAbi;
using Kernel.Memory;
using static Kernel.Files.Vfs;

namespace Kernel.Files.Synthetic
{
    // The tree the app sees, built once at boot (or at the first file system call):
    //   /            read-only root: dev, etc, proc, root (home), sys, tmp, and the image's files (Image/ImageFileSystem.cs:
    //                /app with the publish folder and the executable's placeholder, the working directory)
    //   /etc         resolv.conf, hosts, hostname (from the network configuration), passwd, group
    //   /tmp         tmpfs, writable, half of RAM
    //   /dev         console, tty, null, zero, random, urandom
    //   /proc        meminfo, cpuinfo, net/{drops,sockstat}, sys/net/{core/somaxconn,ipv4/tcp_max_connections},
    //                1/{exe -> /app/NAME, mountinfo, cgroup, statm, maps, stat, status, cmdline, environ, limits,
    //                fd/, task/<tid>/{stat,status}} (ProcessDirectory), self -> 1
    //   /sys         devices/system/cpu/{possible,online,present,cpuN/{online,cache/indexK/...}},
    //                devices/system/node/{possible,online,node0}
    // and file descriptors 0, 1 and 2 on the console (O_RDWR; a terminal to isatty only with uk.console.tty=1:
    // ConsoleDevice.cs says why): 0 and 1 on one open description, 2 on its own, as a service manager or container
    // runtime gives a process separate stdout and stderr -- what the app writes through a dup of fd 2 is still
    // stderr, so shipped lines (Logs/) keep their stream.
    internal static unsafe class AppFileTree
    {
        private static ConsoleNode s_console;

        /// <summary>Builds the tree and the standard descriptors; later calls do nothing.</summary>
        public static void Build()
        {
            if (IsInitialized) return;
            ulong ram = KernelMemory.Pages->TotalPages * PageAllocator.PageSize;
            CreateBaseTree(ram / 2);

            BuildDevices();
            BuildProc();
            BuildSys();
            BuildEtc();
            MountImageFiles();
            InstallConsoleDescriptors();
        }

        /// <summary>What every file system call does first, so the first call sets things up if boot did not.</summary>
        public static void EnsureBuilt()
        {
            if (Root == null) Build();
        }

        private static void BuildDevices()
        {
            var devfs = Mount(new SuperBlock("devtmpfs", "/dev", SuperBlock.DevtmpfsMagic, 3, false,
                                             SuperBlock.MountNoSetUid | SuperBlock.MountRelativeAccessTime));
            DirectoryNode dev = AddDirectory(Root, "dev", devfs);
            s_console = new ConsoleNode(devfs);
            Add(dev, "console", s_console);
            Add(dev, "tty", new ConsoleNode(devfs));
            Add(dev, "null", new DeviceNode(devfs, DeviceNode.Null, 1, 3));
            Add(dev, "zero", new DeviceNode(devfs, DeviceNode.Zero, 1, 5));
            Add(dev, "random", new DeviceNode(devfs, DeviceNode.Random, 1, 8));
            Add(dev, "urandom", new DeviceNode(devfs, DeviceNode.Random, 1, 9));
        }

        private static void BuildProc()
        {
            var procfs = Mount(new SuperBlock("proc", "/proc", SuperBlock.ProcMagic, 4, false,
                                              SuperBlock.MountNoSetUid | SuperBlock.MountNoDevices | SuperBlock.MountNoExec | SuperBlock.MountRelativeAccessTime));
            DirectoryNode proc = AddDirectory(Root, "proc", procfs, 0x16D);   // dr-xr-xr-x
            AddGenerated(proc, "meminfo", new MemInfoFile());
            AddGenerated(proc, "cpuinfo", new CpuInfoFile());
            DirectoryNode net = AddDirectory(proc, "net", procfs, 0x16D);
            AddGenerated(net, "drops", new Net.NetDropsFile());
            AddGenerated(net, "sockstat", new Net.SocketStatFile());
            DirectoryNode sysNet = AddDirectory(AddDirectory(proc, "sys", procfs, 0x16D), "net", procfs, 0x16D);
            AddGenerated(AddDirectory(sysNet, "core", procfs, 0x16D), "somaxconn", new Net.NetLimitFile(Net.NetLimitFile.Somaxconn));
            AddGenerated(AddDirectory(sysNet, "ipv4", procfs, 0x16D), "tcp_max_connections", new Net.NetLimitFile(Net.NetLimitFile.TcpMaxConnections));
            DirectoryNode self = ProcessDirectory.Build(proc, procfs);
            Add(self, "exe", CreateLink(procfs, Image.ImageFileSystem.ExecutablePath));
            AddGenerated(self, "mountinfo", new MountInfoFile());
            AddGenerated(self, "cgroup", new ConstantText("0::/\n"));   // root of an unmounted cgroup v2 hierarchy
            AddGenerated(self, "statm", new StatmFile());
            AddGenerated(self, "maps", new ProcessMapsFile());
        }

        private static void BuildSys()
        {
            var sysfs = Mount(new SuperBlock("sysfs", "/sys", SuperBlock.SysfsMagic, 5, false,
                                             SuperBlock.MountNoSetUid | SuperBlock.MountNoDevices | SuperBlock.MountNoExec | SuperBlock.MountRelativeAccessTime));
            DirectoryNode sys = AddDirectory(Root, "sys", sysfs, 0x16D);
            DirectoryNode system = AddDirectory(AddDirectory(sys, "devices"), "system");

            // One directory per CPU online when the tree is built (Boot/ApplicationProcessors starts them right after
            // device discovery, before anything builds this tree), as musl's sysconf(_SC_NPROCESSORS_CONF) may count
            // them; the GC sizes itself from cpu0's caches. Level 1 and 2
            // caches belong to their CPU, the last level is shared by all (QEMU's topology: one package).
            DirectoryNode cpu = AddDirectory(system, "cpu");
            AddGenerated(cpu, "possible", new CpuListFile(CpuListFile.EveryOnlineCpu));
            AddGenerated(cpu, "online", new CpuListFile(CpuListFile.EveryOnlineCpu));
            AddGenerated(cpu, "present", new CpuListFile(CpuListFile.EveryOnlineCpu));
            for (int n = 0; n < PerCpu.Count; n++)
            {
                DirectoryNode cpuN = AddDirectory(cpu, CpuName(n));
                if (n > 0) AddGenerated(cpuN, "online", new ConstantText("1\n"));   // x86 Linux: cpu0 cannot go offline, has no such file
                DirectoryNode cache = AddDirectory(cpuN, "cache");
                for (int i = 0; i < CpuCaches.Count; i++)
                {
                    DirectoryNode index = AddDirectory(cache, IndexName(i));
                    AddGenerated(index, "size", new CacheAttributeFile(i, CacheAttributeFile.Size));
                    AddGenerated(index, "level", new CacheAttributeFile(i, CacheAttributeFile.Level));
                    AddGenerated(index, "type", new CacheAttributeFile(i, CacheAttributeFile.Type));
                    AddGenerated(index, "coherency_line_size", new CacheAttributeFile(i, CacheAttributeFile.LineSize));
                    if (CpuCaches.Get(i).Ways != 0) AddGenerated(index, "ways_of_associativity", new CacheAttributeFile(i, CacheAttributeFile.Ways));
                    if (CpuCaches.Get(i).Sets != 0) AddGenerated(index, "number_of_sets", new CacheAttributeFile(i, CacheAttributeFile.Sets));
                    AddGenerated(index, "shared_cpu_list", new CpuListFile(CpuCaches.Get(i).Level >= 3 ? CpuListFile.EveryOnlineCpu : n));
                }
            }

            // One NUMA node: the GC's NUMA support stays off (it needs a node1).
            DirectoryNode node = AddDirectory(system, "node");
            AddGenerated(node, "possible", new ConstantText("0\n"));
            AddGenerated(node, "online", new ConstantText("0\n"));
            DirectoryNode node0 = AddDirectory(node, "node0");
            AddGenerated(node0, "cpulist", new CpuListFile(CpuListFile.EveryOnlineCpu));
        }

        // The resolver's files (ResolverFiles.cs), on the read-only root as a container's runtime bind-mounts them.
        private static void BuildEtc()
        {
            DirectoryNode etc = AddDirectory(Root, "etc");
            AddGenerated(etc, "resolv.conf", new ResolvConfFile());
            AddGenerated(etc, "hosts", new HostsFile());
            AddGenerated(etc, "hostname", new HostNameFile());
            UserDatabaseFiles.Build(Root, etc);
        }

        // After the kernel's own files, which win over the image's (ImageFileSystem says why); the app starts in its
        // folder, as when it is run from there on Linux (ASP.NET Core's and the generic host's content root). An image
        // without uk_files (a kernel alone) keeps /app as the read-only placeholder /proc/self/exe names.
        private static void MountImageFiles()
        {
            DirectoryNode appDirectory = Image.ImageFileSystem.Mount(Root, RootFileSystem);
            if (appDirectory != null) ChangeDirectory(appDirectory);
            else if (!Image.ImageFileSystem.IsAttached) Add(Root, "app", new GeneratedFileNode(RootFileSystem, new ConstantText(""), 0x16D));   // r-xr-xr-x
        }

        private static SymlinkNode CreateLink(SuperBlock fileSystem, byte[] target)
        {
            fixed (byte* t = target) return SymlinkNode.Create(fileSystem, t, target.Length);
        }

        // "cpu0" ... "cpu63" (PerCpu.MaxCpus): the kernel's core library has no number formatting.
        private static string CpuName(int n)
        {
            byte* name = stackalloc byte[5];
            name[0] = (byte)'c'; name[1] = (byte)'p'; name[2] = (byte)'u';
            if (n < 10) { name[3] = (byte)('0' + n); return string.FromAscii(name, 4); }
            name[3] = (byte)('0' + n / 10);
            name[4] = (byte)('0' + n % 10);
            return string.FromAscii(name, 5);
        }

        private static string IndexName(int i)
        {
            switch (i)
            {
                case 0: return "index0";
                case 1: return "index1";
                case 2: return "index2";
                case 3: return "index3";
                case 4: return "index4";
                case 5: return "index5";
                case 6: return "index6";
                default: return "index7";
            }
        }

        /// <summary>uk.console.tty=1: fds 0-2 are a terminal (uk run sets it when its own stdout is one); else they are not.</summary>
        public const string TerminalOption = "uk.console.tty";

        private static void InstallConsoleDescriptors()
        {
            bool terminal = Boot.BootCommandLine.OptionEquals(TerminalOption, "1");
            OpenFile console = s_console.OpenStandardStreams(OpenFlags.ReadWrite | OpenFlags.LargeFile, terminal, false);
            Descriptors.InstallAt(0, console, false);
            Descriptors.InstallAt(1, console, false);
            console.Release();
            OpenFile errors = s_console.OpenStandardStreams(OpenFlags.ReadWrite | OpenFlags.LargeFile, terminal, true);
            Descriptors.InstallAt(2, errors, false);
            errors.Release();
        }
    }
}
