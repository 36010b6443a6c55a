#include <stdio.h>
extern int from_archive(int);
int main(void) { printf("archive=%d\n", from_archive(5)); return 0; }
