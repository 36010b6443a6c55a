/* libgcc's unwinder in a link without crtbegin.o (as uk-cc links apps): no frames are registered, so
   _Unwind_Find_FDE asks _dl_find_object (the shim's, on musl) for the unwind tables of each frame. */
#include <stdio.h>
#include <unwind.h>

static void *seen[16];
static int frames;

static _Unwind_Reason_Code step(struct _Unwind_Context *context, void *unused)
{
    if (frames < 16) seen[frames] = _Unwind_FindEnclosingFunction((void *)_Unwind_GetIP(context));
    frames++;
    return _URC_NO_REASON;
}

__attribute__((noinline)) static void innermost(void) { _Unwind_Backtrace(step, 0); }
__attribute__((noinline)) static void middle(void) { innermost(); __asm__ volatile(""); }
__attribute__((noinline)) static void outer(void) { middle(); __asm__ volatile(""); }

int main(void)
{
    outer();
    int found_main = 0;
    for (int i = 0; i < frames && i < 16; i++)
        if (seen[i] == (void *)main) found_main = i;
    printf("unwound %s\n", seen[0] == (void *)innermost && seen[1] == (void *)middle && seen[2] == (void *)outer
           && found_main == 3 ? "innermost, middle, outer, main" : "wrongly");
    return 0;
}
