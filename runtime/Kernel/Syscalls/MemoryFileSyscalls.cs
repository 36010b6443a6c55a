using Kernel.Files;
using Kernel.Files.Synthetic;
using Kernel.LinuxAbi;

namespace Kernel.Syscalls
{
    // memfd_create: an anonymous RAM file, as Linux makes it on its internal shmem mount: in no directory
    // (so /proc/self/fd shows "/memfd:NAME (deleted)"), mode 0777, open read-write, charged to tmpfs's
    // capacity because it is the same kind of memory. The .NET runtime's diagnostics server makes one
    // ("dotnet_ipc_created") as a marker for tools that look at its mappings; mapping it fails with ENODEV
    // here (mmap maps anonymous memory only), which the runtime tolerates. Sealing is not implemented:
    // MFD_ALLOW_SEALING is accepted, and fcntl(F_ADD_SEALS) fails with EINVAL as on a kernel without it.
    internal static unsafe class MemoryFileSyscalls
    {
        private const uint CloseOnExec = 0x1, AllowSealing = 0x2, HugeTlb = 0x4, NoExecSeal = 0x8, Exec = 0x10;
        private const int NameMax = 249;   // NAME_MAX minus the "memfd:" prefix, as Linux counts
        private const string Prefix = "memfd:";

        // memfd_create(name, flags)
        public static long memfd_create(SyscallFrame call)
        {
            uint flags = (uint)call.Arg1;
            if ((flags & ~(CloseOnExec | AllowSealing | HugeTlb | NoExecSeal | Exec)) != 0) return -Errno.EINVAL;
            if ((flags & HugeTlb) != 0) return -Errno.EINVAL;              // no huge pages to back it with
            if ((flags & (NoExecSeal | Exec)) == (NoExecSeal | Exec)) return -Errno.EINVAL;
            byte* name = UserPath.First;
            long length = UserPath.Copy(call.Arg0, name);
            if (length == -Errno.ENAMETOOLONG || length > NameMax) return -Errno.EINVAL;
            if (length < 0) return length;

            AppFileTree.EnsureBuilt();
            byte* full = stackalloc byte[Prefix.Length + NameMax];
            for (int i = 0; i < Prefix.Length; i++) full[i] = (byte)Prefix[i];
            for (int i = 0; i < length; i++) full[Prefix.Length + i] = name[i];
            var node = new RamFileNode(Vfs.TmpFileSystem, 0x1FF);
            node.Name = FileNames.FromBytes(full, Prefix.Length + (int)length);
            OpenFile file;
            long error = node.Open(OpenFlags.ReadWrite | OpenFlags.LargeFile, out file);
            if (error < 0)
            {
                node.FreeIfUnused();
                return error;
            }
            return Vfs.Descriptors.InstallNew(file, (flags & CloseOnExec) != 0);
        }
    }
}
