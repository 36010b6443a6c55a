#include <stdio.h>
__thread int shared_tls = 1;
__thread int ie_tls = 2;
int helper(int x) { return x * 2; }
extern int tls_models_main(void);
int main(void) { int r = tls_models_main(); printf("sum=%d\n", r); return r & 0x7f; }
