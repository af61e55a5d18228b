/* Initial frames for the assembly context switch (see arch/switch_*.S for the layout). */
#include "arch/ctx.h"

#ifdef CAFE__CTX_ASM
#include <stdint.h>
#include <string.h>

void cafe__ctx_trampoline(void);

void cafe__ctx_make(cafe__ctx_t *ctx, void *lo, size_t size, void (*entry)(void *), void *arg) {
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    uint64_t *sp = (uint64_t *)(top - 80);
    memset(sp, 0, 80);
    sp[0] = 0x1F80u | ((uint64_t)0x037Fu << 32);     /* default MXCSR and x87 control word */
    sp[3] = (uint64_t)(uintptr_t) * (void **)&entry; /* r13 */
    sp[4] = (uint64_t)(uintptr_t)arg;                /* r12 */
    sp[7] = (uint64_t)(uintptr_t)&cafe__ctx_trampoline;
#else
    uint64_t *sp = (uint64_t *)(top - 176);
    memset(sp, 0, 176);
    sp[0] = (uint64_t)(uintptr_t)arg;                    /* x19 */
    sp[1] = (uint64_t)(uintptr_t) * (void **)&entry;     /* x20 */
    sp[11] = (uint64_t)(uintptr_t)&cafe__ctx_trampoline; /* x30 */
#endif
    ctx->sp = sp;
}
#else
typedef int cafe__ctx_asm_unused; /* ISO C forbids an empty translation unit */
#endif
