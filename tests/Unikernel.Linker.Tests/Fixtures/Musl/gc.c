/* Under --gc-sections the unused function and data disappear; the rest must still run. */
#include <stdio.h>
int unused_function(int x) { return x * 3 + 1; }
int unused_data[1024] = { 1 };
__attribute__((noinline)) int used_function(int x) { return x + 1; }
int main(void) { printf("used=%d\n", used_function(41)); return 0; }
