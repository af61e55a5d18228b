/* Portable fallback for architectures without a hand-written switch. Correct but slow:
 * swapcontext() saves the signal mask with a system call on every switch. */
#include "arch/ctx.h"

#include <stdint.h>
#include <stdlib.h>

void cafe__ctx_switch(cafe__ctx_t *from, cafe__ctx_t *to) {
    if (swapcontext(&from->uc, &to->uc) != 0)
        abort();
}

/* makecontext passes int arguments only: split the pointers into two halves each. */
static void ucontext_entry(unsigned fhi, unsigned flo, unsigned ahi, unsigned alo) {
    uintptr_t f = ((uintptr_t)fhi << 32) | flo;
    uintptr_t a = ((uintptr_t)ahi << 32) | alo;
    void (*entry)(void *);
    *(void **)&entry = (void *)f;
    entry((void *)a);
    abort();
}

void cafe__ctx_make(cafe__ctx_t *ctx, void *lo, size_t size, void (*entry)(void *), void *arg) {
    uintptr_t f = (uintptr_t) * (void **)&entry, a = (uintptr_t)arg;
    if (getcontext(&ctx->uc) != 0)
        abort();
    ctx->uc.uc_stack.ss_sp = lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    makecontext(&ctx->uc, (void (*)(void))ucontext_entry, 4, (unsigned)(f >> 32), (unsigned)f,
                (unsigned)(a >> 32), (unsigned)a);
}
