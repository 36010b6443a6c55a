namespace Kernel.Process
{
    // The one user the app runs as: root, as a container's process runs by default. The kernel already is
    // root everywhere else (every file belongs to uid 0, permission bits restrict nothing, AT_UID is 0), so
    // any other identity would make getuid disagree with stat and access. /etc/passwd and /etc/group
    // (Files/Synthetic/UserDatabaseFiles.cs) describe it so that getpwuid and Environment.UserName work.
    // The home directory is root's usual one, empty and read-only like the rest of the root file system.
    internal static class AppUser
    {
        public const int UserId = 0;
        public const int GroupId = 0;
        public const string Name = "root";
        public const string GroupName = "root";
        /// <summary>The home directory, directly under the root (UserDatabaseFiles creates it).</summary>
        public const string HomeName = "root";
        public const string Home = "/" + HomeName;
        public const string Shell = "/sbin/nologin";
    }
}
