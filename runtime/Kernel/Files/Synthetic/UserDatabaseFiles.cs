using Kernel.Process;
using static Kernel.Files.Vfs;

namespace Kernel.Files.Synthetic
{
    // /etc/passwd and /etc/group with the one user the app runs as (Process/AppUser.cs), so that
    // getpwuid(getuid()) and Environment.UserName find it, and its home directory (empty, read-only like
    // the rest of the root): .NET reports a home that does not exist as "" (Environment.GetFolderPath).
    internal static class UserDatabaseFiles
    {
        public static void Build(DirectoryNode root, DirectoryNode etc)
        {
            AddGenerated(etc, "passwd", new PasswdFile());
            AddGenerated(etc, "group", new GroupFile());
            AddDirectory(root, AppUser.HomeName, null, 0x1C0);   // drwx------
        }

        private sealed class PasswdFile : ContentGenerator
        {
            public override void Generate(TextBuilder o)
            {
                o.Append(AppUser.Name).Append(":x:").AppendDecimal(AppUser.UserId).Append(':').AppendDecimal(AppUser.GroupId)
                 .Append(':').Append(AppUser.Name).Append(':').Append(AppUser.Home).Append(':').Append(AppUser.Shell).Append('\n');
            }
        }

        private sealed class GroupFile : ContentGenerator
        {
            public override void Generate(TextBuilder o) =>
                o.Append(AppUser.GroupName).Append(":x:").AppendDecimal(AppUser.GroupId).Append(":\n");
        }
    }
}
