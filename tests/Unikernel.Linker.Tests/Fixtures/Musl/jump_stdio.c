/* setjmp/longjmp, stdio on a file in /tmp, __start_/__stop_ of a custom section, __ehdr_start, unwinding. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <unwind.h>

/* Debian's libgcc_eh asks glibc's _dl_find_object first; musl has none. Failing makes it fall back to
   dl_iterate_phdr, which finds PT_GNU_EH_FRAME: exactly the path the linker's .eh_frame_hdr must serve. */
int _dl_find_object(void *pc, void *result) { (void)pc; (void)result; return -1; }

static jmp_buf buffer;
__attribute__((noinline)) static void deep(int n) { if (n == 0) longjmp(buffer, 42); deep(n - 1); }

__attribute__((used, section("my_items"))) static const int item_a = 11;
__attribute__((used, section("my_items"))) static const int item_b = 22;
extern const int __start_my_items[], __stop_my_items[];
extern const char __ehdr_start[];

static _Unwind_Reason_Code count_frame(struct _Unwind_Context *context, void *frames)
{
    (void)context;
    ++*(int *)frames;
    return _URC_NO_REASON;
}
__attribute__((noinline)) static int backtrace_depth(int n)
{
    if (n > 0)
        return backtrace_depth(n - 1) + 0;
    int frames = 0;
    _Unwind_Backtrace(count_frame, &frames);
    return frames;
}

int main(void)
{
    int value = setjmp(buffer);
    if (value == 0)
        deep(10);
    printf("longjmp returned %d\n", value);

    char path[64];
    snprintf(path, sizeof path, "/tmp/uk-ld-stdio-%d.txt", (int)getpid());
    FILE *out = fopen(path, "w");
    fwrite("hello file\n", 1, 11, out);
    fprintf(out, "%d %.2f\n", 123, 4.5);
    fclose(out);
    char line[64] = {0};
    FILE *in = fopen(path, "r");
    size_t got = fread(line, 1, sizeof line - 1, in);
    fclose(in);
    unlink(path);
    printf("read %zu bytes: %s", got, line);

    int sum = 0;
    for (const int *item = __start_my_items; item < __stop_my_items; item++)
        sum += *item;
    printf("items=%d sum=%d\n", (int)(__stop_my_items - __start_my_items), sum);
    printf("ehdr magic=%.3s\n", __ehdr_start + 1);
    printf("backtrace frames: %d\n", backtrace_depth(3));
    return 0;
}
