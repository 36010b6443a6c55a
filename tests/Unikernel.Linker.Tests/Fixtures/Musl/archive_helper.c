int archive_helper(int x) { return x + 2; }
