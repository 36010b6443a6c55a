/* Compiled -fPIC -fno-plt: general-dynamic, local-dynamic and initial-exec accesses, GOTPCRELX calls
   and tail jumps, all of which a static link relaxes. */
#include <stdio.h>

extern __thread int shared_tls;                  /* general dynamic */
static __thread int local_a = 5, local_b;        /* local dynamic */
__attribute__((tls_model("initial-exec"))) extern __thread int ie_tls;
extern int helper(int);

__attribute__((noinline)) int tail(int x) { return helper(x + 1); }   /* jmp *helper@GOTPCREL */

int tls_models_main(void)
{
    shared_tls += 10;
    local_a += 1;
    local_b += 2;
    ie_tls += 100;
    printf("gd=%d ld=%d,%d ie=%d tail=%d\n", shared_tls, local_a, local_b, ie_tls, tail(3));
    return shared_tls + local_a + local_b + ie_tls;
}
