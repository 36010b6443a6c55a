extern int does_not_exist(void);
int from_archive(int x) { return does_not_exist() + x; }
