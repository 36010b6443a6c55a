/* Two objects carry a COMDAT group with the same signature: the first (command-line order) wins. */
#include <stdio.h>
__asm__(".section .text.pick,\"axG\",@progbits,pick,comdat\n"
        ".globl pick\n.type pick,@function\npick:\n\tmovl $7, %eax\n\tret\n.previous\n");
extern int pick(void);
extern int other(void);
int main(void) { printf("pick=%d other=%d\n", pick(), other()); return 0; }
