/* crash: an spp plugin with a bug. It prints a command, then dereferences a null pointer. */
#include <stdio.h>

int main(void)
{
    volatile int *nowhere = NULL;

    printf("HX-Crash: printed before the crash\n");
    fflush(stdout);
    *nowhere = 1;
    return 0;
}
