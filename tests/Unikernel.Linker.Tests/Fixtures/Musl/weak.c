/* A weak definition overridden by a strong one elsewhere, a weak one that stays, a weak undefined. */
#include <stdio.h>
__attribute__((weak)) int overridden(void) { return 1; }
__attribute__((weak)) int kept(void) { return 2; }
extern int missing(void) __attribute__((weak));
extern int missing_data __attribute__((weak));
int main(void)
{
    printf("overridden=%d kept=%d missing=%s data=%s\n", overridden(), kept(), missing ? "present" : "null",
        &missing_data ? "present" : "null");
    return 0;
}
