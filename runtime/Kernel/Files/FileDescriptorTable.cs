using Kernel.LinuxAbi;
using Kernel.Platform;

namespace Kernel.Files
{
    // The process's file descriptors: small integers naming open file descriptions, each with its own
    // close-on-exec flag. New descriptors take the lowest free number; the soft limit (RLIMIT_NOFILE,
    // 1024 like Linux's default) bounds them (EMFILE). Each slot holds one reference on its description.
    internal sealed class FileDescriptorTable
    {
        public const int DefaultLimit = 1024;
        public const int MaxLimit = 65536;      // the hard limit prlimit64 should report
        private const int InitialSlots = 64;

        private OpenFile[] _files;
        private bool[] _closeOnExec;
        private int _limit = DefaultLimit;

        public FileDescriptorTable()
        {
            _files = new OpenFile[InitialSlots];
            _closeOnExec = new bool[InitialSlots];
        }

        /// <summary>RLIMIT_NOFILE's soft value; descriptors at or above it cannot be created.</summary>
        public int Limit => _limit;

        /// <summary>For prlimit64/setrlimit(RLIMIT_NOFILE): 0 or -EINVAL/-EPERM.</summary>
        public long SetLimit(long limit)
        {
            if (limit < 0) return -Errno.EINVAL;
            if (limit > MaxLimit) return -Errno.EPERM;
            _limit = (int)limit;
            return 0;
        }

        /// <summary>The description behind <paramref name="fd"/>, or null (EBADF).</summary>
        public OpenFile Get(long fd)
        {
            if (fd < 0 || fd >= _files.Length) return null;
            return _files[(int)fd];
        }

        public bool IsCloseOnExec(int fd) => Get(fd) != null && _closeOnExec[fd];

        public long SetCloseOnExec(int fd, bool value)
        {
            if (Get(fd) == null) return -Errno.EBADF;
            _closeOnExec[fd] = value;
            return 0;
        }

        /// <summary>
        /// Gives <paramref name="file"/> the lowest free descriptor at or above <paramref name="minimum"/>;
        /// the slot takes over the caller's reference. The descriptor, or -EMFILE (the caller keeps its
        /// reference then) / -EINVAL (minimum at or past the limit).
        /// </summary>
        public long Install(OpenFile file, bool closeOnExec, long minimum = 0)
        {
            if (minimum < 0) return -Errno.EINVAL;
            if (minimum >= _limit) return -Errno.EINVAL;   // F_DUPFD beyond RLIMIT_NOFILE
            int fd = (int)minimum;
            while (fd < _files.Length && _files[fd] != null) fd++;
            if (fd >= _limit) return -Errno.EMFILE;
            if (!Grow(fd)) return -Errno.ENOMEM;
            _files[fd] = file;
            _closeOnExec[fd] = closeOnExec;
            return fd;
        }

        /// <summary>A descriptor for a file just opened, which nothing else holds yet: when no descriptor can be had,
        /// the file is released, so the caller only returns the result (the descriptor or -errno).</summary>
        public long InstallNew(OpenFile file, bool closeOnExec)
        {
            long fd = Install(file, closeOnExec);
            if (fd < 0) file.Release();
            return fd;
        }

        /// <summary>Two descriptors for the two ends of something just made (pipe2, socketpair): both or neither.
        /// On failure both ends are released and the first descriptor, if it was installed, closed again.</summary>
        public long InstallNewPair(OpenFile first, OpenFile second, bool closeOnExec, out int firstFd, out int secondFd)
        {
            firstFd = secondFd = -1;
            long one = Install(first, closeOnExec);
            if (one < 0)
            {
                first.Release();
                second.Release();
                return one;
            }
            long two = Install(second, closeOnExec);
            if (two < 0)
            {
                Close(one);
                second.Release();
                return two;
            }
            firstFd = (int)one;
            secondFd = (int)two;
            return 0;
        }

        /// <summary>Puts <paramref name="file"/> (a new reference taken here) at exactly <paramref name="fd"/>, closing what was there (dup2/dup3).</summary>
        public long InstallAt(long fd, OpenFile file, bool closeOnExec)
        {
            if (fd < 0 || fd >= _limit) return -Errno.EBADF;
            int slot = (int)fd;
            if (!Grow(slot)) return -Errno.ENOMEM;
            file.Retain();
            OpenFile previous = _files[slot];
            _files[slot] = file;
            _closeOnExec[slot] = closeOnExec;
            if (previous != null) previous.Release();
            return fd;
        }

        public long Close(long fd)
        {
            OpenFile file = Get(fd);
            if (file == null) return -Errno.EBADF;
            _files[(int)fd] = null;
            _closeOnExec[(int)fd] = false;
            file.Release();
            return 0;
        }

        /// <summary>dup/F_DUPFD: a new descriptor for the same description.</summary>
        public long Duplicate(long fd, long minimum, bool closeOnExec)
        {
            OpenFile file = Get(fd);
            if (file == null) return -Errno.EBADF;
            file.Retain();
            long result = Install(file, closeOnExec, minimum);
            if (result < 0) file.Release();
            return result;
        }

        /// <summary>Closes every descriptor (process exit); the table stays usable.</summary>
        public void CloseAll()
        {
            for (int fd = 0; fd < _files.Length; fd++)
                if (_files[fd] != null) Close(fd);
        }

        /// <summary>How many descriptors are open.</summary>
        public int OpenCount
        {
            get
            {
                int n = 0;
                for (int fd = 0; fd < _files.Length; fd++) if (_files[fd] != null) n++;
                return n;
            }
        }

        // Makes slot `fd` exist (the arrays double up to the limit).
        private bool Grow(int fd)
        {
            if (fd < _files.Length) return true;
            int size = _files.Length;
            while (size <= fd) size *= 2;
            var files = new OpenFile[size];
            var closeOnExec = new bool[size];
            for (int i = 0; i < _files.Length; i++) { files[i] = _files[i]; closeOnExec[i] = _closeOnExec[i]; }
            FileMemory.Release(_files);
            FileMemory.Release(_closeOnExec);
            _files = files;
            _closeOnExec = closeOnExec;
            return true;
        }
    }
}
