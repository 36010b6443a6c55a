extern int archive_helper(int);
int from_archive(int x) { return archive_helper(x) * 10; }
