/* TLS (initialized and zero), constructor priorities, destructors, atexit, printf with floats. */
#include <stdio.h>
#include <stdlib.h>

__thread int counter = 42;
__thread long zeroed[4];
__thread char label[8] = "tls";
__attribute__((aligned(64))) __thread int aligned_tls = 7;

static void at_exit_handler(void) { printf("atexit: counter=%d\n", counter); }
__attribute__((constructor(101))) static void first(void) { printf("constructor 101\n"); }
__attribute__((constructor(202))) static void second(void) { printf("constructor 202\n"); }
__attribute__((constructor)) static void plain(void) { printf("constructor default\n"); }
__attribute__((destructor(101))) static void last_destructor(void) { printf("destructor 101\n"); }
__attribute__((destructor)) static void plain_destructor(void) { printf("destructor default\n"); }

int main(void)
{
    atexit(at_exit_handler);
    counter++;
    zeroed[3] += 5;
    printf("counter=%d zeroed=%ld,%ld label=%s aligned=%d (%d)\n", counter, zeroed[0], zeroed[3], label, aligned_tls,
        (int)((unsigned long)&aligned_tls % 64));
    printf("floats: %.3f %g %e\n", 3.14159, 2.5e-3, 6.02e23);
    fprintf(stderr, "to stderr\n");
    return 7;
}
