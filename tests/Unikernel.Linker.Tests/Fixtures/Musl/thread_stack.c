/* musl sizes the stacks of new threads from PT_GNU_STACK's p_memsz (-z stack-size): it prints the default
   it ended up with and, when that is at least 1 MiB, uses about 1 MiB of stack on a new thread (musl's own
   128 KiB default would overflow). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static long deep(int depth)
{
    volatile char frame[1024];
    memset((char *)frame, depth & 0x7f, sizeof frame);
    long below = depth == 0 ? 0 : deep(depth - 1);
    return below + frame[depth % sizeof frame] + 1;
}

static void *run(void *argument)
{
    *(long *)argument = deep(1000);
    return 0;
}

int main(void)
{
    pthread_attr_t attributes;
    size_t size = 0;
    pthread_attr_init(&attributes);
    pthread_attr_getstacksize(&attributes, &size);
    printf("default thread stack %zu\n", size);
    if (size >= (1 << 20)) {
        long result = 0;
        pthread_t thread;
        if (pthread_create(&thread, 0, run, &result) != 0 || pthread_join(thread, 0) != 0)
            return 1;
        printf("deep recursion on a new thread: %ld\n", result);
    }
    return 0;
}
