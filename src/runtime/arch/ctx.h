/* Execution contexts: the one piece of cafe that knows about registers.
 *
 * x86-64 (SysV) and aarch64 switch with a few lines of assembly that save only the
 * callee-saved registers and the FP control state. We do not use swapcontext() there:
 * it also saves and restores the signal mask, which is a system call on every switch
 * (~1.1 us on this kind of VM, against ~11 ns for the register switch). Other
 * architectures fall back to ucontext and pay that price. */
#ifndef CAFE_ARCH_CTX_H
#define CAFE_ARCH_CTX_H

#include <stddef.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define CAFE__CTX_ASM 1
typedef struct cafe__ctx {
    void *sp; /* saved stack pointer; the registers live on the stack below it */
} cafe__ctx_t;
#else
#include <ucontext.h>
typedef struct cafe__ctx {
    ucontext_t uc;
} cafe__ctx_t;
#endif

/* Saves the running context into *from and resumes *to. Returns when something switches
 * back to *from. */
void cafe__ctx_switch(cafe__ctx_t *from, cafe__ctx_t *to);

/* Prepares *ctx so that the first switch to it calls entry(arg) on the stack
 * [lo, lo + size). entry must never return: it switches away for good instead. */
void cafe__ctx_make(cafe__ctx_t *ctx, void *lo, size_t size, void (*entry)(void *), void *arg);

#endif
