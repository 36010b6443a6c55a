__asm__(".section .text.pick,\"axG\",@progbits,pick,comdat\n"
        ".globl pick\n.type pick,@function\npick:\n\tmovl $9, %eax\n\tret\n.previous\n");
extern int pick(void);
int other(void) { return pick() + 1; }
